import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import { createConcurrently } from './create-claims.js';

/** A create whose answers the test releases by hand, recording how many were in flight at most. */
function gate(): { create: (n: number) => Promise<number>; started: number[]; release: (n: number, fail?: boolean) => void; maxInFlight: () => number } {
  const waiting = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>();
  const started: number[] = [];
  let inFlight = 0;
  let max = 0;
  return {
    started,
    create: (n) => new Promise<number>((resolve, reject) => {
      started.push(n);
      max = Math.max(max, ++inFlight);
      waiting.set(n, { resolve, reject });
    }).finally(() => inFlight--),
    release: (n, fail = false) => {
      const w = waiting.get(n)!;
      waiting.delete(n);
      if (fail) w.reject(new Error(`create ${n} failed`));
      else w.resolve(n * 10);
    },
    maxInFlight: () => max,
  };
}

const ticks = async (clock: VirtualClock, n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await clock.step(0);
};

describe('createConcurrently', () => {
  it('starts the first alone, then the rest without waiting for its answer, at most `parallelism` at once', async () => {
    const clock = new VirtualClock();
    const g = gate();
    const done = createConcurrently([0, 1, 2, 3, 4, 5], g.create, clock, 3);
    assert.deepEqual(g.started, [0], 'the first goes alone');
    await ticks(clock);
    assert.deepEqual(g.started, [0, 1, 2], 'then up to three in flight, the first still unanswered');
    g.release(1);
    await ticks(clock);
    assert.deepEqual(g.started, [0, 1, 2, 3]);
    g.release(0);
    g.release(2, true);
    await ticks(clock);
    g.release(3);
    await ticks(clock);
    g.release(4);
    g.release(5);
    const out = await done;
    assert.equal(g.maxInFlight(), 3);
    assert.deepEqual(out.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason))), [0, 10, 'Error: create 2 failed', 30, 40, 50], 'in item order');
  });

  it('answers at once for no items and rejects a parallelism below one', async () => {
    const clock = new VirtualClock();
    assert.deepEqual(await createConcurrently([], () => Promise.resolve(1), clock), []);
    await assert.rejects(createConcurrently([1], () => Promise.resolve(1), clock, 0), RangeError);
  });
});
