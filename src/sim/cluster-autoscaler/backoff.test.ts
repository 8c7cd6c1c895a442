import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGroupBackoff } from './backoff.js';

const MIN = 60_000;

describe('node group backoff', () => {
  it('doubles from 5 to 30 minutes over consecutive failures, keeps the duration while backed off, and resets after 3 h', () => {
    const b = new NodeGroupBackoff({ initialMs: 5 * MIN, maxMs: 30 * MIN, resetTimeoutMs: 180 * MIN });
    let now = 0;
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { until, durationMs } = b.backoff('g', now);
      durations.push(durationMs / MIN);
      assert.ok(b.isBackedOff('g', until - 1) && !b.isBackedOff('g', until));
      now = until + MIN;
    }
    assert.deepEqual(durations, [5, 10, 20, 30, 30]);
    assert.equal(b.backoff('g', now).durationMs, 30 * MIN);
    assert.equal(b.backoff('g', now + MIN).durationMs, 30 * MIN, 'a failure while backed off keeps the duration');
    assert.equal(b.backoff('g', now + 4 * 60 * MIN).durationMs, 5 * MIN, 'three hours without failure start over');
    assert.equal(b.isBackedOff('other', now), false);
    b.clear('g');
    assert.equal(b.backedOffUntil('g', now + 4 * 60 * MIN), undefined);
  });
});
