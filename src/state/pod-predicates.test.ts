import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import { pod } from '../test/builders.js';
import { failedToSchedule, isActive, isProvisionable, isReschedulable, isTerminal, isUnbound } from './pod-predicates.js';

const withStatus = (p: Pod, status: Pod['status']): Pod => ({ ...p, status });
const deleting = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } });

describe('isProvisionable', () => {
  it('is true for a pod kube-scheduler marked Unschedulable', () => {
    assert.equal(isProvisionable(pod()), true);
  });

  it('is false for every reason Karpenter excludes a pod', () => {
    const cases: Record<string, Pod> = {
      'bound': pod({ nodeName: 'n1' }),
      'not yet tried by the scheduler': withStatus(pod(), { phase: 'Pending' }),
      'scheduled condition true': withStatus(pod(), { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] }),
      'another reason': withStatus(pod(), { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      'preempting': withStatus(pod(), { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }], nominatedNodeName: 'n2' }),
      'owned by a DaemonSet': pod({ ownerKind: 'DaemonSet' }),
      'a static pod': pod({ ownerKind: 'Node' }),
      'being deleted': deleting(pod()),
      'finished': withStatus(pod(), { phase: 'Failed', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }),
    };
    for (const [why, p] of Object.entries(cases)) assert.equal(isProvisionable(p), false, why);
    assert.equal(isProvisionable(pod({ ownerKind: 'ReplicaSet' })), true, 'other owners are fine');
  });

  it('reads the PodScheduled condition exactly', () => {
    assert.equal(failedToSchedule(withStatus(pod(), { conditions: [{ type: 'Ready', status: 'False', reason: 'Unschedulable' }] })), false);
  });
});

describe('isUnbound', () => {
  it('takes any active unbound pod but DaemonSet and static pods, whatever the scheduler said', () => {
    assert.equal(isUnbound(withStatus(pod(), { phase: 'Pending' })), true);
    assert.equal(isUnbound(pod()), true);
    assert.equal(isUnbound(pod({ nodeName: 'n' })), false);
    assert.equal(isUnbound(pod({ ownerKind: 'DaemonSet' })), false);
    assert.equal(isUnbound(pod({ ownerKind: 'Node' })), false);
    assert.equal(isUnbound(deleting(pod())), false);
  });
});

describe('isReschedulable', () => {
  it('moves active pods, and terminating StatefulSet pods, but not DaemonSet, static or finished pods', () => {
    assert.equal(isReschedulable(pod({ nodeName: 'n' })), true);
    assert.equal(isReschedulable(deleting(pod({ nodeName: 'n' }))), false);
    assert.equal(isReschedulable(deleting(pod({ nodeName: 'n', ownerKind: 'StatefulSet' }))), true);
    assert.equal(isReschedulable(pod({ nodeName: 'n', ownerKind: 'DaemonSet' })), false);
    assert.equal(isReschedulable(pod({ nodeName: 'n', ownerKind: 'Node' })), false);
    const done = withStatus(pod({ nodeName: 'n' }), { phase: 'Succeeded' });
    assert.equal(isReschedulable(done), false);
    assert.equal(isTerminal(done), true);
    assert.equal(isActive(done), false);
  });
});
