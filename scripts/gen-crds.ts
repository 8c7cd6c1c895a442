/**
 * Writes the CRDs from their definitions in src/apis to src/apis/crds/generated/*.yaml and to the
 * Helm chart's crds/ folder (deploy/helm/nodewright/crds), and removes generated files no kind
 * produces any more. Both copies come from one generation, so they cannot differ (a unit test,
 * src/deploy/chart-crds.test.ts, fails if either is stale). Usage: npx tsx scripts/gen-crds.ts
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrds } from '../src/apis/crds/index.js';

const dirs = ['../src/apis/crds/generated/', '../deploy/helm/nodewright/crds/']
  .map((d) => fileURLToPath(new URL(d, import.meta.url)));
const files = generateCrds();
const wanted = new Set(files.map((f) => f.fileName));
for (const dir of dirs) {
  mkdirSync(dir, { recursive: true });
  for (const { fileName, yaml } of files) {
    const path = join(dir, fileName);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === yaml) continue;
    writeFileSync(path, yaml);
    console.log(`wrote ${path}`);
  }
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.yaml') && !wanted.has(name)) {
      rmSync(join(dir, name));
      console.log(`removed ${join(dir, name)}`);
    }
  }
}
