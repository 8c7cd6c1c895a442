import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import { EventDedupe } from './event-dedupe.js';

describe('EventDedupe', () => {
  it('lets the same event for the same pod through once per window', async () => {
    const clock = new VirtualClock();
    const d = new EventDedupe(clock, 60_000);
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/x'), true);
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/x'), false);
    await clock.step(59_999);
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/x'), false);
    await clock.step(1);
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/x'), true, 'again once the window has passed');
  });

  it('tells pods, reasons and messages apart', () => {
    const d = new EventDedupe(new VirtualClock(), 60_000);
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/x'), true);
    assert.equal(d.admit('uid-b', 'Nominated', 'Pod should schedule on: nodeclaim/x'), true, 'another pod');
    assert.equal(d.admit('uid-a', 'Nominated', 'Pod should schedule on: nodeclaim/y'), true, 'another target');
    assert.equal(d.admit('uid-a', 'FailedScheduling', 'Pod should schedule on: nodeclaim/x'), true, 'another reason');
  });

  it('forgets expired keys so memory stays bounded', async () => {
    const clock = new VirtualClock();
    const d = new EventDedupe(clock, 1_000);
    for (let i = 0; i < 3000; i++) {
      d.admit(`uid-${i}`, 'Nominated', 'n');
      await clock.step(10);
    }
    assert.ok(d.size <= 2048, `kept ${d.size}`);
    assert.equal(d.admit('uid-2999', 'Nominated', 'n'), false, 'a live key is kept');
  });

  it('rejects a window that is not positive', () => {
    assert.throws(() => new EventDedupe(new VirtualClock(), 0), RangeError);
  });
});
