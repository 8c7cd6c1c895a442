import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, StoredObject } from './object-store.js';
import { ObjectStore } from './object-store.js';

const pod = (name: string, nodeName?: string, ns = 'default'): StoredObject =>
  ({ metadata: { name, namespace: ns }, spec: { containers: [], ...(nodeName ? { nodeName } : {}) } });

const names = (it: Iterable<StoredObject>): string[] => [...it].map((o) => o.metadata.name ?? '').sort();

describe('ObjectStore', () => {
  it('gives every commit the next global resourceVersion, across kinds', () => {
    const s = new ObjectStore({ historyLimit: 10, freeze: true });
    const a = s.commit('Pod', 'ADDED', pod('a'));
    const n = s.commit('Node', 'ADDED', { metadata: { name: 'n' } });
    assert.equal(s.resourceVersion, 3);
    assert.equal(a.metadata.resourceVersion, '2', 'versions start above 0, which watches read as "any"');
    assert.equal(n.metadata.resourceVersion, '3');
    assert.ok(Object.isFrozen(a.metadata));
  });

  it('stores the very object it is given, so (frozen) a write sharing the metadata of a stored version throws', () => {
    const s = new ObjectStore({ historyLimit: 10, freeze: true });
    const given = pod('a');
    const a = s.commit('Pod', 'ADDED', given);
    assert.equal(a, given);
    assert.equal(a.metadata.resourceVersion, '2');
    assert.throws(() => s.commit('Pod', 'MODIFIED', { ...a, spec: { containers: [] } }, a), TypeError);
    assert.equal(a.metadata.resourceVersion, '2', 'the stored version is untouched');
  });

  it('keeps the namespace and node-name indexes in step with writes', () => {
    const s = new ObjectStore({ historyLimit: 10, freeze: false });
    const a = s.commit('Pod', 'ADDED', pod('a'));
    s.commit('Pod', 'ADDED', pod('b', 'n1'));
    s.commit('Pod', 'ADDED', pod('c', 'n1', 'other'));
    assert.deepEqual(names(s.scan('Pod', { nodeName: '' })), ['a']);
    assert.deepEqual(names(s.scan('Pod', { nodeName: 'n1' })), ['b', 'c']);
    assert.deepEqual(names(s.scan('Pod', { nodeName: 'n1', namespace: 'default' })), ['b']);
    assert.deepEqual(names(s.scan('Pod', { namespace: 'other' })), ['c']);
    const a2 = s.commit('Pod', 'MODIFIED', pod('a', 'n1'), a);
    assert.deepEqual(names(s.scan('Pod', { nodeName: '' })), []);
    assert.deepEqual(names(s.scan('Pod', { nodeName: 'n1' })), ['a', 'b', 'c']);
    s.commit('Pod', 'DELETED', { ...a2, metadata: { ...a2.metadata } }, a2);
    assert.deepEqual(names(s.scan('Pod', { nodeName: 'n1' })), ['b', 'c']);
    assert.deepEqual(names(s.scan('Pod')), ['b', 'c']);
    assert.equal(s.count('Pod'), 2);
    assert.deepEqual(names(s.scan('Pod', { namespace: 'nowhere' })), []);
  });

  it('replays history after a version, and says gone once it has been overwritten', () => {
    const s = new ObjectStore({ historyLimit: 3, freeze: false });
    for (const n of ['a', 'b', 'c']) s.commit('Pod', 'ADDED', pod(n)); // rv 2, 3, 4
    s.commit('Node', 'ADDED', { metadata: { name: 'n' } }); // rv 5, another kind's history
    assert.deepEqual((s.changesSince('Pod', 2) as Change[]).map((c) => c.rv), [3, 4]);
    s.commit('Pod', 'ADDED', pod('d')); // rv 6 evicts rv 2
    assert.deepEqual((s.changesSince('Pod', 2) as Change[]).map((c) => c.rv), [3, 4, 6]);
    assert.equal(s.changesSince('Pod', 1), 'gone');
    s.commit('Pod', 'ADDED', pod('e')); // rv 7 evicts rv 3
    assert.equal(s.changesSince('Pod', 2), 'gone');
    assert.deepEqual((s.changesSince('Pod', 3) as Change[]).map((c) => c.rv), [4, 6, 7]);
    assert.deepEqual(s.changesSince('Pod', 7), []);
    s.compact('Pod');
    assert.equal(s.changesSince('Pod', 6), 'gone');
    assert.deepEqual(s.changesSince('Pod', 7), []);
    assert.deepEqual((s.changesSince('Node', 1) as Change[]).map((c) => c.rv), [5], 'other kinds untouched');
  });

  it('dispatches changes in version order even when a listener writes', () => {
    const s = new ObjectStore({ historyLimit: 10, freeze: false });
    const seenByA: number[] = [];
    const seenByB: number[] = [];
    s.subscribe((c) => {
      seenByA.push(c.rv);
      if (c.kind === 'Pod') s.commit('Node', 'ADDED', { metadata: { name: `for-${c.object.metadata.name ?? ''}` } });
    });
    const unsubscribe = s.subscribe((c) => seenByB.push(c.rv));
    s.commit('Pod', 'ADDED', pod('a'));
    assert.deepEqual(seenByA, [2, 3]);
    assert.deepEqual(seenByB, [2, 3]);
    unsubscribe();
    s.commit('Pod', 'ADDED', pod('b'));
    assert.deepEqual(seenByB, [2, 3]);
  });

  it('refuses a history without room', () => {
    assert.throws(() => new ObjectStore({ historyLimit: 0, freeze: false }), RangeError);
  });
});
