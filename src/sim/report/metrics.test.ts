import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulationResult } from '../result.js';
import { syntheticResult } from './fixtures.js';
import { comparisonRows, NOT_APPLICABLE } from './metrics.js';
import { renderSummary } from './summary.js';

const row = (result: SimulationResult, label: string) => {
  const found = comparisonRows(result).find((r) => r.label === label);
  assert.ok(found, `row ${label}`);
  return found;
};

describe('comparisonRows', () => {
  const result = syntheticResult();

  it('lists the metrics in a fixed order, leaving out disruption reasons nobody had', () => {
    assert.deepEqual(comparisonRows(result).map((r) => r.label), [
      'Pod wait p50', 'Pod wait p95', 'Pod wait p99', 'Pod wait max', 'Pods started', 'Pods pending at end',
      'Total cost', 'Lower bound (LP)', 'Cost above lower bound', 'Peak nodes', 'CPU utilisation', 'Memory utilisation',
      'Evictions', 'Disruptions: empty', 'Disruptions: underutilized', 'Disruptions: interrupted', 'Replay wall time',
    ]);
  });

  it('gives the difference nodewright − cluster-autoscaler, relative where it helps, and who is better', () => {
    assert.deepEqual(row(result, 'Total cost'), {
      label: 'Total cost', group: 'cost',
      values: { nodewright: '$3.02', 'cluster-autoscaler': '$8.85' },
      difference: '\u2212$5.83 (\u221266%)', better: 'nodewright',
    });
    assert.equal(row(result, 'CPU utilisation').difference, '+25.8 pts');
    assert.equal(row(result, 'CPU utilisation').better, 'nodewright', 'higher utilisation is better');
    assert.equal(row(result, 'Replay wall time').better, undefined, 'wall time is not a contest');
    assert.equal(row(result, 'Pods pending at end').difference, '0');
    assert.equal(row(result, 'Pods pending at end').better, undefined);
  });

  it('marks the Cluster Autoscaler better where it is', () => {
    const ca = result.strategies['cluster-autoscaler']!;
    const flipped: SimulationResult = { ...result, strategies: { ...result.strategies, 'cluster-autoscaler': { ...ca, totalCost: 1 } } };
    assert.equal(row(flipped, 'Total cost').better, 'cluster-autoscaler');
    assert.equal(row(flipped, 'Total cost').difference, '+$2.02 (+202%)');
  });

  it('shows waits as not applicable when no pod started, and no difference with one strategy', () => {
    const nw = result.strategies.nodewright!;
    const single: SimulationResult = { ...result, strategies: { nodewright: { ...nw, podWaitSeconds: { p50: 0, p95: 0, p99: 0, max: 0, count: 0 } } } };
    const p95 = row(single, 'Pod wait p95');
    assert.deepEqual(p95.values, { nodewright: NOT_APPLICABLE });
    assert.equal(p95.difference, undefined);
    assert.equal(p95.better, undefined);
  });
});

describe('renderSummary', () => {
  it('aligns both strategies and the difference in columns', () => {
    const text = renderSummary(syntheticResult());
    const lines = text.split('\n');
    assert.equal(lines[0], 'Scenario burst (seed 7, 2 h 00 m simulated)');
    const table = lines.slice(2, lines.indexOf('', 2));
    assert.match(table[0]!, /^\s+nodewright {2}cluster-autoscaler\s+difference$/);
    assert.equal(table.length, 1 + comparisonRows(syntheticResult()).length);
    // Right-aligned columns: every row ends each figure at the header's column end.
    const ends = (line: string): number[] => [...line.matchAll(/\S+(?= {2,}|$)/g)].map((m) => m.index + m[0].length);
    const headerEnds = ends(table[0]!);
    assert.ok(table.includes('Total cost                       $3.02               $8.85   \u2212$5.83 (\u221266%)'), table.join('\n'));
    for (const line of table.slice(1)) {
      const lineEnds = ends(line);
      assert.deepEqual(lineEnds.slice(-3), headerEnds.slice(-3), `aligned: ${line}`);
    }
    assert.match(text, /\nNote: Spot prices are synthetic/);
    assert.ok(text.endsWith('\n'));
  });

  it('has one value column for one strategy and says when none ran', () => {
    const single = renderSummary(syntheticResult({ strategies: ['cluster-autoscaler'] }));
    assert.ok(!single.includes('difference') && !single.includes('nodewright'));
    assert.match(single, /Total cost\s+\$8\.85\n/);
    const none = renderSummary({ ...syntheticResult(), strategies: {} });
    assert.match(none, /No strategy was run\./);
  });
});
