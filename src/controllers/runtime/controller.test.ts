import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import { Controller } from './controller.js';
import { QuiescenceError, settle } from './quiescence.js';
import type { ReconcileError, ReconcileResult, Reconciler } from './reconciler.js';

/** A reconciler whose behaviour per call is scripted, recording each call with its virtual time. */
class Scripted implements Reconciler {
  readonly name = 'test.scripted';
  readonly calls: { key: string; at: number }[] = [];
  active = 0;
  maxActive = 0;
  readonly activeKeys = new Set<string>();
  constructor(readonly clock: VirtualClock, readonly behave: (key: string, call: number) => Promise<ReconcileResult | void> = () => Promise.resolve()) {}
  async reconcile(key: string): Promise<ReconcileResult | void> {
    assert.ok(!this.activeKeys.has(key), `${key} reconciled twice at once`);
    this.activeKeys.add(key);
    this.maxActive = Math.max(this.maxActive, ++this.active);
    this.calls.push({ key, at: this.clock.now() });
    try {
      return await this.behave(key, this.calls.filter((c) => c.key === key).length);
    } finally {
      this.active--;
      this.activeKeys.delete(key);
    }
  }
  times(key: string, start: number): number[] {
    return this.calls.filter((c) => c.key === key).map((c) => c.at - start);
  }
}

describe('Controller', () => {
  it('reconciles a key queued twice once, and a key queued while running once more after', async () => {
    const clock = new VirtualClock();
    let release: () => void = () => {};
    const r = new Scripted(clock, (key, n) => (key === 'slow' && n === 1 ? new Promise((res) => { release = res; }) : Promise.resolve()));
    const c = new Controller(r, { clock });
    c.start();
    c.enqueue('a');
    c.enqueue('a');
    await settle(clock, [c]);
    assert.deepEqual(r.calls.map((x) => x.key), ['a']);
    c.enqueue('slow');
    await clock.step(0);
    c.enqueue('slow');
    c.enqueue('slow');
    await clock.step(0);
    assert.equal(r.calls.length, 2, 'not again while running');
    release();
    await settle(clock, [c]);
    assert.deepEqual(r.calls.map((x) => x.key), ['a', 'slow', 'slow']);
  });

  it('retries a failing key with per-key exponential backoff from 5 ms, and resets it on success', async () => {
    const clock = new VirtualClock();
    const errors: ReconcileError[] = [];
    const r = new Scripted(clock, (key, n) => (n <= 4 ? Promise.reject(new Error(`boom ${n}`)) : Promise.resolve()));
    const c = new Controller(r, { clock, onError: (e) => errors.push(e) });
    const start = clock.now();
    c.start();
    c.enqueue('k');
    await settle(clock, [c], { horizonMs: 10_000 });
    assert.deepEqual(r.times('k', start), [0, 5, 15, 35, 75]);
    assert.equal(errors.length, 4);
    assert.match(errors[0]!.message, /reconciling k in test\.scripted: boom 1/);
    assert.equal(errors[0]!.key, 'k');
    assert.equal(c.queue.numRequeues('k'), 0, 'success forgets the failures');
    assert.equal(c.stats.errors, 4);
    assert.equal(c.stats.reconciles, 5);
  });

  it('requeues after the requested delay on the clock, and with backoff for requeue: true', async () => {
    const clock = new VirtualClock();
    const r = new Scripted(clock, (key, n) => Promise.resolve(
      key === 'after' ? (n < 3 ? { requeueAfterMs: 30_000 } : undefined) : (n < 3 ? { requeue: true } : undefined)));
    const c = new Controller(r, { clock });
    const start = clock.now();
    c.start();
    c.enqueue('after');
    c.enqueue('again');
    await settle(clock, [c], { horizonMs: 60_000 });
    assert.deepEqual(r.times('after', start), [0, 30_000, 60_000]);
    assert.deepEqual(r.times('again', start), [0, 5, 15]);
  });

  it('runs at most `concurrency` reconciles at once, different keys in parallel', async () => {
    const clock = new VirtualClock();
    const r = new Scripted(clock, () => clock.sleep(100));
    const c = new Controller(r, { clock, concurrency: 3 });
    c.start();
    for (let i = 0; i < 10; i++) c.enqueue(`k${i}`);
    const took = await settle(clock, [c]);
    assert.equal(r.maxActive, 3);
    assert.equal(r.calls.length, 10);
    assert.equal(took, 400, '10 keys, 3 at a time, 100 ms each');
    assert.throws(() => new Controller(r, { clock, concurrency: 0 }), RangeError);
  });

  it('waits for start, and after stop takes nothing more and drops delayed keys', async () => {
    const clock = new VirtualClock();
    const r = new Scripted(clock, () => clock.sleep(50).then(() => ({ requeueAfterMs: 1_000 })));
    const c = new Controller(r, { clock });
    c.enqueue('early');
    await clock.step(10);
    assert.equal(r.calls.length, 0);
    c.start();
    await clock.step(0);
    assert.equal(c.active, 1);
    const stopped = c.stop();
    await clock.step(50);
    await stopped;
    c.enqueue('late');
    await clock.step(5_000);
    assert.deepEqual(r.calls.map((x) => x.key), ['early']);
    assert.equal(clock.pendingTimers(), 0);
    assert.throws(() => c.start(), /stopped/);
  });

  it('settle reports work that never finishes instead of hanging', async () => {
    const clock = new VirtualClock();
    const c = new Controller({ name: 'test.stuck', reconcile: () => new Promise(() => {}) }, { clock });
    c.start();
    c.enqueue('x');
    await assert.rejects(settle(clock, [c]), QuiescenceError);
    const loop = new Controller({ name: 'test.loop', reconcile: () => Promise.reject(new Error('always')) }, { clock });
    loop.start();
    loop.enqueue('y');
    await assert.rejects(settle(clock, [loop], { horizonMs: 2_000_000, limitMs: 60_000 }), /still busy after 60000 ms/);
    await loop.stop();
  });
});
