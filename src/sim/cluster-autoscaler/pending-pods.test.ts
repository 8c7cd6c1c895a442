import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { pod } from '../../test/builders.js';
import { formatKubeTime } from '../../utils/clock.js';
import { equivalenceGroups, podAgeMs, selectPendingPods } from './pending-pods.js';

const NOW = Date.UTC(2025, 0, 6, 12);
const aged = (p: Pod, ageMs: number): Pod => ({ ...p, metadata: { ...p.metadata, creationTimestamp: formatKubeTime(NOW - ageMs) } });
const OPTS = { now: NOW, expendablePodsPriorityCutoff: -10, newPodScaleUpDelayMs: 0, unschedulablePodTimeBufferMs: 2_000 };

describe('pending pods', () => {
  it('leaves out DaemonSet pods, expendable pods and pods younger than the scale-up delay', () => {
    const keep = aged(pod({ name: 'a', cpu: '1', ownerKind: 'ReplicaSet' }), 60_000);
    const low = aged(pod({ name: 'b', cpu: '1', priority: -11, ownerKind: 'ReplicaSet' }), 60_000);
    const atCutoff = aged(pod({ name: 'c', cpu: '1', priority: -10, ownerKind: 'ReplicaSet' }), 60_000);
    const ds = aged(pod({ name: 'd', cpu: '1', ownerKind: 'DaemonSet' }), 60_000);
    const young = aged(pod({ name: 'e', cpu: '1', ownerKind: 'ReplicaSet' }), 5_000);
    const s = selectPendingPods([keep, low, atCutoff, ds, young], { ...OPTS, newPodScaleUpDelayMs: 10_000 });
    assert.deepEqual(s.pods.map((p) => p.metadata.name), ['a', 'c']);
    assert.equal(s.expendable, 1);
    assert.equal(s.daemonSet, 1);
    assert.equal(s.tooYoung, 1);
    assert.equal(s.allNew, false);
  });

  it('waits a pass when every pod is younger than 2 s', () => {
    assert.equal(selectPendingPods([aged(pod({ cpu: '1' }), 1_000), aged(pod({ cpu: '1' }), 0)], OPTS).allNew, true);
    assert.equal(selectPendingPods([aged(pod({ cpu: '1' }), 1_000), aged(pod({ cpu: '1' }), 3_000)], OPTS).allNew, false);
    assert.equal(selectPendingPods([], OPTS).allNew, false);
    assert.equal(podAgeMs(pod(), NOW), Number.POSITIVE_INFINITY, 'a pod without a creation time counts as old');
  });

  it('groups pods of one controller with the same scheduling spec', () => {
    const a1 = pod({ name: 'a1', cpu: '1', labels: { app: 'a' }, ownerKind: 'ReplicaSet' });
    const a2 = pod({ name: 'a2', cpu: '1', labels: { app: 'a' }, ownerKind: 'ReplicaSet' });
    const a3 = pod({ name: 'a3', cpu: '2', labels: { app: 'a' }, ownerKind: 'ReplicaSet' });
    const bare1 = pod({ name: 'x', cpu: '1', labels: { app: 'a' } });
    const bare2 = pod({ name: 'y', cpu: '1', labels: { app: 'a' } });
    const groups = equivalenceGroups([a1, bare1, a2, a3, bare2]);
    assert.deepEqual(groups.map((g) => g.pods.map((p) => p.metadata.name)), [['a1', 'a2'], ['x'], ['a3'], ['y']]);
  });
});
