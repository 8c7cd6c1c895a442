import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import type { Decision } from '../context.js';
import { decisionEventCount, decisionEvents, TokenBucket } from './decision-events.js';

function names(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

describe('decisionEventCount', () => {
  it('is the number of events decisionEvents builds, for every mix of pool, nodes and pods', () => {
    for (const nodePool of [undefined, 'np']) {
      for (const nodes of [undefined, [], names('n', 3), names('n', 15)]) {
        for (const pods of [undefined, [], names('ns/p', 4), names('ns/p', 30)]) {
          for (const max of [0, 1, 10, 20, -1, -2, Number.NaN, 2.5]) {
            const d: Decision = { time: 0, kind: 'empty', summary: 's', why: 'w', nodePool, nodes, pods };
            const built = decisionEvents(d, max, () => undefined).length;
            assert.equal(decisionEventCount(d, max), built, JSON.stringify({ nodePool, nodes: nodes?.length, pods: pods?.length, max }));
          }
        }
      }
    }
  });
});

describe('TokenBucket.takeUpTo', () => {
  it('grants and leaves the bucket as that many take() calls at the same instant', async () => {
    const clockA = new VirtualClock();
    const clockB = new VirtualClock();
    const bucketA = new TokenBucket(clockA, 4, 0.7);
    const bucketB = new TokenBucket(clockB, 4, 0.7);
    for (const [step, n] of [[0, 3], [900, 2], [1_500, 5], [0, 0], [4_000, 1], [700, 3], [10_000, 9], [300, 2]] as const) {
      await clockA.step(step);
      await clockB.step(step);
      let taken = 0;
      for (let i = 0; i < n; i++) if (bucketA.take()) taken++;
      assert.equal(bucketB.takeUpTo(n), taken, `after ${step} ms, ${n} wanted`);
    }
  });
});
