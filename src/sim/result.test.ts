import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TimeSample } from './result.js';
import { averageUtilisation, percentileNearestRank, summariseWaits } from './result.js';
import { syntheticResult } from './report/fixtures.js';

function sample(over: Partial<TimeSample>): TimeSample {
  return {
    t: 0, nodes: 0, costPerHour: 0, pendingPods: 0, runningPods: 0,
    cpuRequested: 0, cpuAllocatable: 0, memoryRequestedGiB: 0, memoryAllocatableGiB: 0,
    lowerBoundCostPerHour: 0, ...over,
  };
}

describe('percentileNearestRank', () => {
  it('takes the element of rank ceil(p/100 * n), as in the textbook example', () => {
    // The classic nearest-rank example: 15, 20, 35, 40, 50.
    const v = [50, 15, 40, 20, 35];
    assert.equal(percentileNearestRank(v, 5), 15);
    assert.equal(percentileNearestRank(v, 30), 20);
    assert.equal(percentileNearestRank(v, 40), 20);
    assert.equal(percentileNearestRank(v, 50), 35);
    assert.equal(percentileNearestRank(v, 100), 50);
  });

  it('does not interpolate and is exact on rank boundaries', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileNearestRank(hundred, 95), 95);
    assert.equal(percentileNearestRank(hundred, 99), 99);
    assert.equal(percentileNearestRank(hundred, 7), 7); // 0.07 * 100 is 7.000000000000001 in floating point
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(percentileNearestRank(twenty, 95), 19);
    assert.equal(percentileNearestRank(twenty, 99), 20);
    assert.equal(percentileNearestRank([1, 2], 50), 1);
    assert.equal(percentileNearestRank([3], 1), 3);
  });

  it('leaves the input unsorted', () => {
    const v = [3, 1, 2];
    percentileNearestRank(v, 50);
    assert.deepEqual(v, [3, 1, 2]);
  });

  it('refuses empty lists, non-finite values and p outside (0, 100]', () => {
    assert.throws(() => percentileNearestRank([], 50), RangeError);
    assert.throws(() => percentileNearestRank([1, NaN], 50), RangeError);
    assert.throws(() => percentileNearestRank([1, Infinity], 50), RangeError);
    assert.throws(() => percentileNearestRank([1], 0), RangeError);
    assert.throws(() => percentileNearestRank([1], 100.5), RangeError);
    assert.throws(() => percentileNearestRank([1], NaN), RangeError);
  });

  it('is a value of the list with at least p% of the list at or below it and fewer below it', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 100 }),
      (values, p) => {
        const x = percentileNearestRank(values, p);
        assert.ok(values.includes(x));
        const atOrBelow = values.filter((v) => v <= x).length;
        const below = values.filter((v) => v < x).length;
        assert.ok(atOrBelow * 100 >= p * values.length, 'at least p% at or below');
        assert.ok(below * 100 < p * values.length, 'the smallest such value');
      },
    ));
  });
});

describe('summariseWaits', () => {
  it('gives p50, p95, p99, max and count', () => {
    const waits = Array.from({ length: 200 }, (_, i) => 200 - i); // 1..200 reversed
    assert.deepEqual(summariseWaits(waits), { p50: 100, p95: 190, p99: 198, max: 200, count: 200 });
  });

  it('is all zero for no pods', () => {
    assert.deepEqual(summariseWaits([]), { p50: 0, p95: 0, p99: 0, max: 0, count: 0 });
  });

  it('refuses negative waits', () => {
    assert.throws(() => summariseWaits([3, -1]), RangeError);
  });
});

describe('averageUtilisation', () => {
  it('weights each sample by its capacity', () => {
    const u = averageUtilisation([
      sample({ cpuRequested: 1, cpuAllocatable: 2, memoryRequestedGiB: 0, memoryAllocatableGiB: 4 }),
      sample({ cpuRequested: 18, cpuAllocatable: 18, memoryRequestedGiB: 36, memoryAllocatableGiB: 36 }),
    ]);
    assert.equal(u.cpu, 19 / 20); // not the mean of ratios (0.75)
    assert.equal(u.memory, 36 / 40);
  });

  it('is zero with no capacity at all', () => {
    assert.deepEqual(averageUtilisation([]), { cpu: 0, memory: 0 });
    assert.deepEqual(averageUtilisation([sample({})]), { cpu: 0, memory: 0 });
  });
});

describe('a result as JSON (what --json writes)', () => {
  it('survives a JSON round trip unchanged and has the keys machines rely on', () => {
    const result = syntheticResult();
    const parsed = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
    assert.deepEqual(parsed, result);
    for (const key of ['scenario', 'seed', 'horizonSeconds', 'notes', 'strategies']) assert.ok(key in parsed, key);
    const strategies = parsed.strategies as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(strategies), ['nodewright', 'cluster-autoscaler']);
    for (const s of Object.values(strategies)) {
      for (const key of ['podWaitSeconds', 'totalCost', 'peakNodes', 'pendingAtEnd', 'evictions', 'lowerBoundCost', 'replayWallSeconds']) {
        assert.ok(key in s, key);
      }
      assert.deepEqual(Object.keys(s.podWaitSeconds as object), ['p50', 'p95', 'p99', 'max', 'count']);
    }
  });

  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(syntheticResult({ seed: 3 }), syntheticResult({ seed: 3 }));
    assert.notDeepEqual(syntheticResult({ seed: 3 }).strategies.nodewright?.podWaitSeconds, syntheticResult({ seed: 4 }).strategies.nodewright?.podWaitSeconds);
  });
});
