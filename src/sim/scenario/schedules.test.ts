import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Random } from '../../utils/random.js';
import { globMatches, meanOf, peakReplicas, replicaChanges, replicasAt, sampleDistribution } from './index.js';
import type { Distribution, ReplicaSchedule } from './index.js';

const H = 3_600_000;
const M = 60_000;

describe('replica schedules', () => {
  const steps: ReplicaSchedule = { kind: 'steps', steps: [{ atMs: 10 * M, count: 5 }, { atMs: 30 * M, count: 0 }, { atMs: 40 * M, count: 0 }] };

  it('steps: 0 before the first, each count from its time on', () => {
    assert.deepEqual([0, 10 * M - 1, 10 * M, 29 * M, 30 * M, 2 * H].map((t) => replicasAt(steps, t)), [0, 0, 5, 5, 0, 0]);
  });

  it('changes list only real changes, from t = 0, up to the horizon', () => {
    assert.deepEqual(replicaChanges(steps, H), [{ atMs: 0, count: 0 }, { atMs: 10 * M, count: 5 }, { atMs: 30 * M, count: 0 }]);
    assert.deepEqual(replicaChanges(steps, 20 * M), [{ atMs: 0, count: 0 }, { atMs: 10 * M, count: 5 }]);
    assert.equal(peakReplicas(steps, H), 5);
  });

  const day: ReplicaSchedule = { kind: 'diurnal', min: 20, max: 200, periodMs: 24 * H, peakMs: 14 * H, stepMs: 10 * M };

  it('diurnal: max at the peak, min half a period away, held between samples', () => {
    assert.equal(replicasAt(day, 14 * H), 200);
    assert.equal(replicasAt(day, 2 * H), 20);
    assert.equal(replicasAt(day, 8 * H), 110, 'a quarter period from the peak: half way');
    assert.equal(replicasAt(day, 14 * H + 9 * M), 200, 'sampled every step');
    assert.equal(replicasAt(day, 38 * H), 200, 'periodic');
  });

  it('diurnal changes stay within [min, max], are step-aligned and each differs from the last', () => {
    const changes = replicaChanges(day, 24 * H);
    assert.ok(changes.length > 100);
    assert.equal(changes[0]?.atMs, 0);
    changes.forEach((c, i) => {
      assert.ok(c.count >= 20 && c.count <= 200);
      assert.equal(c.atMs % (10 * M), 0);
      if (i > 0) assert.notEqual(c.count, changes[i - 1]?.count);
    });
    assert.equal(peakReplicas(day, 24 * H), 200);
  });

  it('replicaChanges agrees with replicasAt at every time (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0, max: 47 }), fc.integer({ min: 0, max: 2 * 24 * H }),
      (a, b, periodH, peakH, t) => {
        const schedule: ReplicaSchedule = { kind: 'diurnal', min: Math.min(a, b), max: Math.max(a, b), periodMs: periodH * H, peakMs: (peakH % periodH) * H, stepMs: 15 * M };
        const changes = replicaChanges(schedule, 2 * 24 * H);
        const last = changes.filter((c) => c.atMs <= t).pop();
        assert.equal(last?.count, replicasAt(schedule, t));
      },
    ), { numRuns: 100 });
  });
});

describe('distributions', () => {
  const draws = (d: Distribution, n = 4000): number[] => {
    const random = new Random('dist');
    return Array.from({ length: n }, () => sampleDistribution(d, random));
  };

  it('fixed draws its value', () => {
    assert.deepEqual(draws({ kind: 'fixed', ms: 1234 }, 3), [1234, 1234, 1234]);
  });

  it('uniform stays in [min, max] with the right mean', () => {
    const xs = draws({ kind: 'uniform', minMs: 1000, maxMs: 3000 });
    assert.ok(xs.every((x) => x >= 1000 && x <= 3000));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - meanOf({ kind: 'uniform', minMs: 1000, maxMs: 3000 })) < 50, `mean ${mean}`);
  });

  it('lognormal has its median and a right tail', () => {
    const xs = draws({ kind: 'lognormal', medianMs: 15_000, sigma: 0.3 }).sort((a, b) => a - b);
    const median = xs[xs.length / 2]!;
    assert.ok(Math.abs(median - 15_000) < 600, `median ${median}`);
    assert.ok(xs.every((x) => x > 0));
    assert.ok(meanOf({ kind: 'lognormal', medianMs: 15_000, sigma: 0.3 }) > 15_000);
  });

  it('the same seed gives the same draws', () => {
    assert.deepEqual(draws({ kind: 'lognormal', medianMs: 1000, sigma: 1 }, 10), draws({ kind: 'lognormal', medianMs: 1000, sigma: 1 }, 10));
  });
});

describe('globMatches', () => {
  it('matches * and ? and nothing else specially', () => {
    assert.ok(globMatches('c5.*', 'c5.2xlarge'));
    assert.ok(!globMatches('c5.*', 'c5a.2xlarge'));
    assert.ok(globMatches('c5?.*', 'c5a.large'));
    assert.ok(globMatches('*', ''));
    assert.ok(globMatches('m5.large', 'm5.large'));
    assert.ok(!globMatches('m5.large', 'm5xlarge'), 'a dot is literal');
    assert.ok(globMatches('*.*large', 'r6i.xlarge'));
    assert.ok(!globMatches('?', ''));
  });

  it('agrees with an anchored regular expression (property) and stays fast on many stars', () => {
    const chars = fc.constantFrom('a', 'b', '.', '*', '?');
    fc.assert(fc.property(fc.string({ unit: chars, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 }), (pattern, name) => {
      const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
      assert.equal(globMatches(pattern, name), re.test(name));
    }), { numRuns: 500 });
    assert.ok(!globMatches('*a'.repeat(40), 'a'.repeat(39) + 'b'));
  });
});
