import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SyncGate } from './sync-gate.js';

describe('SyncGate', () => {
  it('releases every waiter once opened, and later waiters at once', async () => {
    const g = new SyncGate('waiting for x');
    const order: string[] = [];
    const a = g.wait().then(() => order.push('a'));
    const b = g.wait().then(() => order.push('b'));
    assert.equal(g.isOpen, false);
    assert.equal(g.open(), true);
    assert.equal(g.open(), false, 'only once');
    await Promise.all([a, b]);
    await g.wait();
    assert.deepEqual(order, ['a', 'b']);
  });

  it('rejects waiters when failed, and cannot be opened after', async () => {
    const g = new SyncGate('waiting for x');
    const w = g.wait();
    g.fail(new Error('stopped'));
    await assert.rejects(w, /stopped/);
    await assert.rejects(g.wait(), /stopped/);
    assert.equal(g.open(), false);
    assert.equal(g.isOpen, false);
  });

  it('lets a waiter give up through its signal without affecting others', async () => {
    const g = new SyncGate('waiting for x');
    const ac = new AbortController();
    const mine = g.wait(ac.signal);
    const other = g.wait();
    ac.abort();
    await assert.rejects(mine, /aborted/);
    const custom = new AbortController();
    custom.abort('no reason object');
    await assert.rejects(g.wait(custom.signal), /waiting for x: aborted/);
    await assert.rejects(g.wait(ac.signal), /aborted/);
    g.open();
    await other;
  });
});
