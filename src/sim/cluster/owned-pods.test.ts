import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { pod } from '../../test/builders.js';
import type { ClusterView } from './cluster-view.js';
import { ActivePods, Expectations } from './owned-pods.js';

function withUid(name: string, extra: Partial<Pod['metadata']> = {}, phase?: NonNullable<Pod['status']>['phase']): Pod {
  const p = pod({ name, nodeName: 'n1' });
  return { ...p, metadata: { ...p.metadata, uid: `uid-${name}`, ...extra }, status: { ...p.status, ...(phase ? { phase } : {}) } };
}

/** A view whose informer shows exactly `shown`. */
function viewOf(shown: Pod[]): ClusterView {
  return { pods: { getByName: (name: string) => shown.find((p) => p.metadata.name === name) } } as unknown as ClusterView;
}

describe('ActivePods', () => {
  it('holds the pods whose last event left them active', () => {
    const active = new ActivePods();
    active.observe(withUid('a'), 'add');
    active.observe(withUid('b'), 'add');
    active.observe(withUid('c'), 'add');
    active.observe(withUid('a', { deletionTimestamp: '2025-01-06T00:00:00Z' }), 'update');
    active.observe(withUid('b', {}, 'Succeeded'), 'update');
    active.observe(withUid('d', {}, 'Failed'), 'add');
    assert.equal(active.size, 1);
    assert.ok(active.has('uid-c'));
    active.observe(withUid('c'), 'delete');
    assert.equal(active.size, 0);
  });

  it('counts with Expectations the active pods whose delete is not reflected yet', () => {
    const [a, b] = [withUid('a'), withUid('b')];
    const expect = new Expectations(viewOf([a, b]));
    const active = new ActivePods();
    active.observe(a, 'add');
    active.observe(b, 'add');
    expect.deleted(a);
    assert.equal(expect.deletingAmong(active), 1);
    // The delete reflected: neither counts it any more.
    const gone = withUid('a', { deletionTimestamp: '2025-01-06T00:00:00Z' });
    expect.observe(gone, 'update');
    active.observe(gone, 'update');
    assert.equal(expect.deletingAmong(active), 0);
    assert.equal(active.size, 1);
  });
});
