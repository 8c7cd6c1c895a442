import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ClockError, DEFAULT_VIRTUAL_EPOCH, formatKubeTime, formatMicroTime, parseKubeTime, RealClock, VirtualClock,
} from './clock.js';

describe('VirtualClock', () => {
  it('starts at the given epoch and moves only when stepped', async () => {
    const c = new VirtualClock(1_000);
    assert.equal(c.now(), 1_000);
    assert.equal(new VirtualClock().now(), DEFAULT_VIRTUAL_EPOCH);
    assert.equal(await c.step(500), 0);
    assert.equal(c.now(), 1_500);
    assert.equal(c.nowIso(), new Date(1_500).toISOString());
  });

  it('fires due timers in deadline order, equal deadlines first-set first', async () => {
    const c = new VirtualClock(0);
    const order: string[] = [];
    c.setTimer(30, () => order.push('c@30'));
    c.setTimer(10, () => order.push('a@10'));
    c.setTimer(10, () => order.push('b@10'));
    c.setTimer(31, () => order.push('late'));
    assert.equal(await c.step(30), 3);
    assert.deepEqual(order, ['a@10', 'b@10', 'c@30']);
    assert.equal(c.pendingTimers(), 1);
    assert.equal(c.nextTimerAt(), 31);
  });

  it('shows each callback the time of its own deadline', async () => {
    const c = new VirtualClock(0);
    const seen: number[] = [];
    for (const ms of [5, 1, 3]) c.setTimer(ms, () => seen.push(c.now()));
    await c.step(10);
    assert.deepEqual(seen, [1, 3, 5]);
    assert.equal(c.now(), 10);
  });

  it('cancels timers, idempotently, without disturbing the others', async () => {
    const c = new VirtualClock(0);
    const fired: number[] = [];
    const cancels = [1, 2, 3, 4, 5].map((i) => c.setTimer(i, () => fired.push(i)));
    cancels[1]!();
    cancels[3]!();
    cancels[3]!();
    assert.equal(c.pendingTimers(), 3);
    await c.step(10);
    assert.deepEqual(fired, [1, 3, 5]);
    cancels[0]!(); // after firing: harmless
    assert.equal(c.pendingTimers(), 0);
  });

  it('serves async chains that sleep again within the same step', async () => {
    const c = new VirtualClock(0);
    const ticks: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        await c.sleep(100);
        await Promise.resolve(); // a deeper chain than one continuation
        ticks.push(c.now());
      }
    };
    const done = loop();
    await c.step(450);
    assert.deepEqual(ticks, [100, 200, 300, 400]);
    await c.step(50);
    await done;
    assert.deepEqual(ticks, [100, 200, 300, 400, 500]);
  });

  it('orders a timer set at an already-due instant after those set before it', async () => {
    const c = new VirtualClock(0);
    const order: string[] = [];
    c.setTimer(10, () => {
      order.push('first');
      c.setTimer(0, () => order.push('re-armed'));
    });
    c.setTimer(10, () => order.push('second'));
    await c.step(10);
    assert.deepEqual(order, ['first', 'second', 're-armed']);
  });

  it('rejects a sleep when its signal aborts, and cancels its timer', async () => {
    const c = new VirtualClock(0);
    const ac = new AbortController();
    const p = c.sleep(1_000, ac.signal);
    assert.equal(c.pendingTimers(), 1);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    assert.equal(c.pendingTimers(), 0);
    await assert.rejects(c.sleep(1, ac.signal), /stop/);
    const plain = new AbortController();
    plain.abort();
    await assert.rejects(c.sleep(1, plain.signal), { name: 'AbortError' });
  });

  it('runs until idle, jumping to each deadline', async () => {
    const c = new VirtualClock(0);
    let n = 0;
    const chain = async (): Promise<void> => {
      while (n < 3) {
        await c.sleep(60_000);
        n++;
      }
    };
    const done = chain();
    assert.equal(await c.runUntilIdle(), 3);
    await done;
    assert.equal(c.now(), 180_000);
  });

  it('refuses to call a never-idle clock idle', async () => {
    const c = new VirtualClock(0);
    const rearm = (): void => void c.setTimer(1_000, rearm);
    rearm();
    await assert.rejects(c.runUntilIdle(10_000), (e: unknown) => e instanceof ClockError && /still pending after 10000 ms/.test(e.message));
    assert.equal(c.now(), 10_000);
  });

  it('stops a zero-delay loop that never lets time move', async () => {
    const c = new VirtualClock(0, { maxFiresPerInstant: 100 });
    const spin = (): void => void c.setTimer(0, spin);
    spin();
    await assert.rejects(c.step(1), /more than 100 timers fired/);
  });

  it('refuses a delay that is not a finite number', () => {
    const c = new VirtualClock(0);
    assert.throws(() => c.setTimer(Number.NaN, () => undefined), RangeError);
    assert.throws(() => new RealClock().setTimer(Number.POSITIVE_INFINITY, () => undefined), RangeError);
    c.setTimer(-5, () => undefined);
    assert.equal(c.nextTimerAt(), 0, 'negative delays count as 0');
  });

  it('rejects backwards and concurrent steps', async () => {
    const c = new VirtualClock(100);
    await assert.rejects(c.step(-1), ClockError);
    await assert.rejects(c.advanceTo(50), /already/);
    const a = c.step(10);
    await assert.rejects(c.step(10), /already in progress/);
    await a;
    assert.equal(await c.advanceTo(200), 0);
    assert.equal(c.now(), 200);
  });

  it('propagates a callback error, leaving time at that deadline and later timers pending', async () => {
    const c = new VirtualClock(0);
    c.setTimer(5, () => {
      throw new Error('boom');
    });
    c.setTimer(7, () => undefined);
    await assert.rejects(c.step(10), /boom/);
    assert.equal(c.now(), 5);
    assert.equal(c.pendingTimers(), 1);
    await c.step(5);
    assert.equal(c.pendingTimers(), 0);
  });

  it('fires any mix of timers and cancellations in (deadline, creation) order', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 60 }),
      async (specs) => {
        const c = new VirtualClock(0);
        const fired: number[] = [];
        const cancels = specs.map((s, i) => c.setTimer(s.at, () => fired.push(i)));
        specs.forEach((s, i) => { if (s.cancel) cancels[i]!(); });
        await c.step(50);
        const expected = specs.map((s, i) => ({ ...s, i })).filter((s) => !s.cancel)
          .sort((a, b) => a.at - b.at || a.i - b.i).map((s) => s.i);
        assert.deepEqual(fired, expected);
      },
    ), { numRuns: 100 });
  });

  it('handles a hundred thousand timers quickly', async () => {
    const c = new VirtualClock(0);
    let fired = 0;
    const cancels: (() => void)[] = [];
    for (let i = 0; i < 100_000; i++) cancels.push(c.setTimer((i * 7919) % 86_400_000, () => fired++));
    for (let i = 0; i < 100_000; i += 2) cancels[i]!();
    const t0 = performance.now();
    await c.step(86_400_000);
    assert.equal(fired, 50_000);
    assert.ok(performance.now() - t0 < 5_000, 'stepping 50k timers took over 5 s');
  });
});

describe('RealClock', () => {
  it('tells wall time and sleeps for real', async () => {
    const c = new RealClock();
    const before = c.now();
    assert.ok(Math.abs(before - Date.now()) < 1_000);
    await c.sleep(5);
    assert.ok(c.now() >= before);
    assert.match(c.nowIso(), /^\d{4}-\d\d-\d\dT/);
  });
  it('chains timers longer than one setTimeout can hold', async () => {
    const c = new RealClock({ maxChunkMs: 5 });
    const start = c.now();
    await new Promise<void>((resolve) => c.setTimer(30, resolve));
    assert.ok(c.now() - start >= 29, 'fired no earlier than asked');
    let fired = false;
    const cancel = c.setTimer(20, () => { fired = true; });
    await c.sleep(8);
    cancel(); // cancels the chained timeout, not just the first
    await c.sleep(30);
    assert.equal(fired, false);
  });
  it('cancels timers and aborts sleeps', async () => {
    const c = new RealClock();
    let fired = false;
    const cancel = c.setTimer(1, () => { fired = true; });
    cancel();
    const ac = new AbortController();
    const p = c.sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    await c.sleep(10);
    assert.equal(fired, false);
  });
});

describe('Kubernetes time formats', () => {
  it('formats metav1.Time at second precision and MicroTime with six digits', () => {
    const ms = Date.UTC(2024, 4, 6, 7, 8, 9, 123);
    assert.equal(formatKubeTime(ms), '2024-05-06T07:08:09Z');
    assert.equal(formatKubeTime(ms + 876), '2024-05-06T07:08:09Z', 'the same second');
    assert.equal(formatKubeTime(ms + 877), '2024-05-06T07:08:10Z', 'the next second');
    assert.equal(formatKubeTime(ms - 124), '2024-05-06T07:08:08Z', 'back a second');
    assert.throws(() => formatKubeTime(Number.NaN), RangeError);
    assert.equal(formatMicroTime(ms), '2024-05-06T07:08:09.123000Z');
    assert.equal(parseKubeTime('2024-05-06T07:08:09Z'), ms - 123);
    assert.equal(parseKubeTime('2024-05-06T07:08:09.123000Z'), ms);
    assert.throws(() => parseKubeTime('yesterday'), RangeError);
  });
});
