/**
 * The Helm chart's CRDs are the generated ones, byte for byte: `npm run gen:crds` writes both
 * copies from src/apis, and this fails when the chart's are stale, edited by hand or extra.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateCrds } from '../apis/crds/index.js';

const chartCrds = fileURLToPath(new URL('../../deploy/helm/nodewright/crds/', import.meta.url));
const generatedDir = fileURLToPath(new URL('../apis/crds/generated/', import.meta.url));

describe('the chart CRDs', () => {
  const fresh = generateCrds();

  it('are exactly the files a fresh generation writes, no more', () => {
    const inChart = readdirSync(chartCrds).filter((n) => n.endsWith('.yaml')).sort();
    assert.deepEqual(inChart, fresh.map((f) => f.fileName).sort(), 'run `npm run gen:crds`');
    assert.ok(inChart.length >= 4, 'NodePool, NodeClaim, EC2NodeClass and the kwok NodeClass');
  });

  for (const { fileName, yaml } of fresh) {
    it(`${fileName} is byte-identical to a fresh generation and to src/apis/crds/generated`, () => {
      const chart = readFileSync(join(chartCrds, fileName), 'utf8');
      assert.ok(chart === yaml, `deploy/helm/nodewright/crds/${fileName} is stale: run \`npm run gen:crds\``);
      assert.ok(chart === readFileSync(join(generatedDir, fileName), 'utf8'), 'both copies come from one generation');
    });
  }
});
