import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../utils/random.js';
import type { DelayDistribution } from './delay.js';
import { checkDelay, sampleDelay } from './delay.js';

const draws = (d: DelayDistribution, n = 2000, seed = 7): number[] => {
  const r = new Random(seed);
  return Array.from({ length: n }, () => sampleDelay(d, r));
};

describe('delay distributions', () => {
  it('fixed returns its value without drawing', () => {
    const r = new Random(1);
    const before = r.state();
    assert.equal(sampleDelay({ kind: 'fixed', ms: 1500 }, r), 1500);
    assert.deepEqual(r.state(), before);
  });

  it('uniform stays within its bounds and spreads across them', () => {
    const xs = draws({ kind: 'uniform', minMs: 1000, maxMs: 3000 });
    assert.ok(xs.every((x) => x >= 1000 && x <= 3000 && Number.isInteger(x)));
    assert.ok(xs.some((x) => x < 1200) && xs.some((x) => x > 2800));
  });

  it('lognormal has the median asked for, a right tail, and respects its cap', () => {
    const xs = draws({ kind: 'lognormal', medianMs: 30_000, sigma: 0.5 }).sort((a, b) => a - b);
    const median = xs[xs.length / 2]!;
    assert.ok(Math.abs(median - 30_000) < 2_000, `median ${median}`);
    assert.ok(xs.at(-1)! > 60_000, 'a long tail');
    const capped = draws({ kind: 'lognormal', medianMs: 30_000, sigma: 1, maxMs: 40_000 });
    assert.ok(capped.every((x) => x <= 40_000 && x > 0));
  });

  it('is deterministic for a seed', () => {
    const d: DelayDistribution = { kind: 'lognormal', medianMs: 1000, sigma: 1 };
    assert.deepEqual(draws(d, 50, 3), draws(d, 50, 3));
    assert.notDeepEqual(draws(d, 50, 3), draws(d, 50, 4));
  });

  it('rejects bad parameters, naming the delay', () => {
    assert.throws(() => checkDelay('launch', { kind: 'fixed', ms: -1 }), /launch delay \(fixed\)/);
    assert.throws(() => checkDelay('launch', { kind: 'uniform', minMs: 5, maxMs: 1 }), /above maxMs/);
    assert.throws(() => checkDelay('ready', { kind: 'lognormal', medianMs: 0, sigma: 1 }), /medianMs/);
    assert.throws(() => checkDelay('ready', { kind: 'lognormal', medianMs: 1, sigma: Number.NaN }), /sigma/);
    assert.doesNotThrow(() => checkDelay('ready', { kind: 'uniform', minMs: 0, maxMs: 0 }));
  });
});
