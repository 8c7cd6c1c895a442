import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import type { BatchWindow } from './batcher.js';
import { Batcher, BatcherStoppedError } from './batcher.js';
import { settle } from './quiescence.js';
import { Singleton } from './singleton.js';

describe('Singleton', () => {
  it('runs at once, then every interval after each pass ends, never overlapping', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const runs: number[] = [];
    let active = 0;
    const s = new Singleton({
      name: 'disruption',
      reconcile: async () => {
        assert.equal(active++, 0, 'never overlaps');
        runs.push(clock.now() - start);
        await clock.sleep(2_000);
        active--;
      },
    }, { clock, intervalMs: 10_000 });
    s.start();
    s.trigger(); // while the first pass is about to run: coalesced
    await clock.step(40_000);
    assert.deepEqual(runs, [0, 12_000, 24_000, 36_000]);
    await s.stop();
  });

  it('honours a pass asking for another delay, retries a failed pass with backoff, runs early on trigger', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const runs: number[] = [];
    const errors: string[] = [];
    let n = 0;
    const s = new Singleton({
      name: 'gc',
      reconcile: () => {
        runs.push(clock.now() - start);
        n++;
        if (n === 1) return Promise.resolve({ requeueAfterMs: 500 });
        if (n === 2) return Promise.reject(new Error('cloud unavailable'));
        return Promise.resolve();
      },
    }, { clock, intervalMs: 60_000, onError: (e) => errors.push(e.message) });
    s.start();
    await clock.step(10_000);
    assert.deepEqual(runs, [0, 500, 505]);
    assert.deepEqual(errors, ['reconciling singleton in gc: cloud unavailable']);
    s.trigger();
    await clock.step(0);
    assert.deepEqual(runs, [0, 500, 505, 10_000]);
    await clock.step(60_000);
    assert.deepEqual(runs, [0, 500, 505, 10_000, 70_000], 'the trigger replaced the pending tick');
    assert.equal(await settle(clock, [s]), 0, 'idle between passes');
    await s.stop();
    assert.equal(clock.pendingTimers(), 0);
    assert.throws(() => new Singleton({ name: 'x', reconcile: () => Promise.resolve() }, { clock, intervalMs: 0 }), RangeError);
  });
});

describe('Batcher', () => {
  function setup(o: { idleMs?: number; maxMs?: number } = {}): { clock: VirtualClock; b: Batcher; closed: BatchWindow[] } {
    const clock = new VirtualClock();
    const closed: BatchWindow[] = [];
    return { clock, closed, b: new Batcher({ clock, ...o, onClose: (w) => closed.push(w) }) };
  }

  it('closes 1 s after the last trigger by default', async () => {
    const { clock, b, closed } = setup();
    const t0 = clock.now();
    b.trigger();
    await clock.step(600);
    b.trigger();
    await clock.step(999);
    assert.equal(closed.length, 0);
    assert.ok(b.isOpen);
    await clock.step(1);
    assert.deepEqual(closed, [{ openedAt: t0, closedAt: t0 + 1_600, triggers: 2, closedBy: 'idle' }]);
    assert.ok(b.isIdle());
  });

  it('closes 10 s after opening however busy, and the next trigger opens a new window', async () => {
    const { clock, b, closed } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 40; i++) {
      b.trigger();
      await clock.step(500);
    }
    assert.equal(closed.length, 2);
    assert.deepEqual(closed[0], { openedAt: t0, closedAt: t0 + 10_000, triggers: 20, closedBy: 'max' });
    assert.equal(closed[1]!.openedAt, t0 + 10_000);
    assert.equal(closed[1]!.closedBy, 'max');
  });

  it('takes configured windows; wait() resolves with the window that closes', async () => {
    const { clock, b } = setup({ idleMs: 50, maxMs: 200 });
    const waited = b.wait();
    await clock.step(1_000);
    b.trigger();
    await clock.step(49);
    b.trigger();
    await clock.step(50);
    const w = await waited;
    assert.equal(w.closedAt - w.openedAt, 99);
    assert.equal(w.closedBy, 'idle');
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });

  it('stop cancels the open window and rejects waiters', async () => {
    const { clock, b, closed } = setup();
    b.trigger();
    const waited = b.wait();
    b.stop();
    await assert.rejects(waited, BatcherStoppedError);
    await clock.step(20_000);
    assert.equal(closed.length, 0);
    b.trigger();
    assert.equal(b.isOpen, false);
    assert.throws(() => new Batcher({ clock, idleMs: 0 }), RangeError);
  });
});
