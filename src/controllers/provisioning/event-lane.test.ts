import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLane } from './event-lane.js';

/** Writes whose answers the test releases by hand, recording the order they started in. */
function writes(): { write: (n: number) => () => Promise<number>; started: number[]; release: (n: number) => void; inFlight: () => number } {
  const waiting = new Map<number, () => void>();
  const started: number[] = [];
  return {
    started,
    write: (n) => () => new Promise<number>((resolve) => {
      started.push(n);
      waiting.set(n, () => resolve(n));
    }),
    release: (n) => {
      waiting.get(n)!();
      waiting.delete(n);
    },
    inFlight: () => waiting.size,
  };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('EventLane', () => {
  it('runs at most `width` writes at once, the rest in the order asked as slots free up', async () => {
    const lane = new EventLane(2);
    const w = writes();
    const done = [1, 2, 3, 4, 5].map((n) => lane.run(w.write(n)));
    await settle();
    assert.deepEqual(w.started, [1, 2]);
    assert.equal(lane.waiting, 3);
    w.release(2);
    await settle();
    assert.deepEqual(w.started, [1, 2, 3]);
    w.release(1);
    w.release(3);
    await settle();
    assert.deepEqual(w.started, [1, 2, 3, 4, 5]);
    assert.ok(w.inFlight() <= 2);
    w.release(4);
    w.release(5);
    assert.deepEqual(await Promise.all(done), [1, 2, 3, 4, 5], 'each answers its own write');
  });

  it('starts nothing while held, lets writes in flight finish, and opens when the last hold ends', async () => {
    const lane = new EventLane(4);
    const w = writes();
    const first = lane.run(w.write(1));
    let endA!: () => void;
    let failB!: (e: Error) => void;
    lane.holdUntil(new Promise<void>((r) => (endA = r)));
    lane.holdUntil(new Promise<void>((_, reject) => (failB = reject)));
    const held = [2, 3].map((n) => lane.run(w.write(n)));
    await settle();
    assert.deepEqual(w.started, [1], 'only the write started before the holds');
    w.release(1);
    assert.equal(await first, 1);
    endA();
    await settle();
    assert.deepEqual(w.started, [1], 'one hold is still on');
    failB(new Error('a claim create failed'));
    await settle();
    assert.deepEqual(w.started, [1, 2, 3], 'a hold that rejects ends too');
    w.release(2);
    w.release(3);
    assert.deepEqual(await Promise.all(held), [2, 3]);
  });

  it('frees the slot of a write that throws, and rejects a width below one', async () => {
    const lane = new EventLane(1);
    await assert.rejects(lane.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await lane.run(() => Promise.resolve(7)), 7);
    assert.throws(() => new EventLane(0), RangeError);
  });
});
