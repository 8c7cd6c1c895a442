import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SchedulingQueue } from './scheduling-queue.js';

describe('SchedulingQueue', () => {
  it('backs off 1 s doubling to 10 s after a cluster event, and flushes after 5 minutes without one', () => {
    const q = new SchedulingQueue();
    assert.equal(q.eligibleAt('a'), -Infinity);
    q.failed('a', 1_000, q.eventCount);
    assert.equal(q.eligibleAt('a'), 301_000, 'nothing changed: only the flush');
    q.noteClusterEvent();
    assert.equal(q.eligibleAt('a'), 2_000);
    for (let i = 0; i < 5; i++) q.failed('a', 1_000, q.eventCount - 1);
    assert.equal(q.eligibleAt('a'), 11_000, 'capped at 10 s');
  });

  it('keeps its eligibility key while no answer of eligibleAt can change', () => {
    // Random histories of failures, forgets and events: whenever the key is the same as at an
    // earlier step, every pod's eligibleAt must be too.
    const op = fc.oneof(
      fc.record({ t: fc.constant('fail' as const), uid: fc.constantFrom('a', 'b', 'c'), now: fc.nat(100_000), lag: fc.nat(2) }),
      fc.record({ t: fc.constant('forget' as const), uid: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ t: fc.constant('event' as const) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const q = new SchedulingQueue();
      const seen = new Map<string, string>();
      const answers = (): string => JSON.stringify(['a', 'b', 'c', 'd'].map((u) => q.eligibleAt(u)));
      for (const o of ops) {
        if (o.t === 'fail') q.failed(o.uid, o.now, Math.max(0, q.eventCount - o.lag));
        else if (o.t === 'forget') q.forget(o.uid);
        else q.noteClusterEvent();
        const before = seen.get(q.eligibilityKey);
        if (before !== undefined) assert.equal(answers(), before);
        seen.set(q.eligibilityKey, answers());
      }
    }));
  });

  it('changes its key on the first cluster event after a failure, not on later ones', () => {
    const q = new SchedulingQueue();
    q.failed('a', 0, q.eventCount);
    const k0 = q.eligibilityKey;
    q.noteClusterEvent();
    const k1 = q.eligibilityKey;
    assert.notEqual(k1, k0);
    q.noteClusterEvent();
    assert.equal(q.eligibilityKey, k1);
  });
});
