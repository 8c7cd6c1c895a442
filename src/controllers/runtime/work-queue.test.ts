import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import { ExponentialRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

describe('ExponentialRateLimiter', () => {
  it('doubles from 5 ms to a 1000 s cap per key, and forget resets', () => {
    const r = new ExponentialRateLimiter();
    const delays = Array.from({ length: 20 }, () => r.when('a'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(delays[17], 655_360);
    assert.equal(delays[18], 1_000_000);
    assert.equal(delays[19], 1_000_000);
    assert.equal(r.when('b'), 5, 'keys back off independently');
    assert.equal(r.numRequeues('a'), 20);
    r.forget('a');
    assert.equal(r.numRequeues('a'), 0);
    assert.equal(r.when('a'), 5);
    for (let i = 0; i < 5000; i++) r.when('c');
    assert.equal(r.when('c'), 1_000_000, 'no overflow after many failures');
  });

  it('rejects a nonsensical configuration', () => {
    assert.throws(() => new ExponentialRateLimiter({ baseMs: 0 }), RangeError);
    assert.throws(() => new ExponentialRateLimiter({ baseMs: 10, maxMs: 5 }), RangeError);
  });
});

describe('WorkQueue', () => {
  it('queues a key once however often it is added, in first-added order', () => {
    const q = new WorkQueue(new VirtualClock());
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    assert.equal(q.length, 3);
    assert.deepEqual([q.get(), q.get(), q.get(), q.get()], ['a', 'b', 'c', undefined]);
  });

  it('never hands out a key being processed; one added meanwhile comes back after done', () => {
    const q = new WorkQueue(new VirtualClock());
    q.add('a');
    assert.equal(q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.get(), undefined, 'not while processing');
    assert.equal(q.processing, 1);
    q.done('a');
    assert.equal(q.get(), 'a', 'queued again, once');
    q.done('a');
    assert.equal(q.get(), undefined);
  });

  it('delays adds on the clock, keeping the earliest deadline for a key', async () => {
    const clock = new VirtualClock();
    const q = new WorkQueue(clock);
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    q.addAfter('b', 200);
    q.addAfter('b', 50);
    assert.equal(q.delayed, 2);
    assert.equal(q.nextDelayedAt(), clock.now() + 50);
    await clock.step(49);
    assert.equal(q.length, 0);
    await clock.step(1);
    assert.equal(q.get(), 'b');
    await clock.step(50);
    assert.equal(q.get(), 'a');
    await clock.step(1_000);
    assert.equal(q.get(), undefined, 'the later deadlines were dropped');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('rate-limits per key and shuts down cleanly', async () => {
    const clock = new VirtualClock();
    const q = new WorkQueue(clock, new ExponentialRateLimiter({ baseMs: 10, maxMs: 1_000 }));
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.numRequeues('a'), 2);
    await clock.step(10);
    assert.equal(q.get(), 'a', 'the first backoff (10 ms) wins over the second (20 ms)');
    q.done('a');
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.addAfter('x', 100);
    q.add('y');
    q.shutDown();
    assert.equal(q.get(), undefined);
    assert.equal(clock.pendingTimers(), 0);
    q.add('z');
    assert.equal(q.length, 0);
  });
});
