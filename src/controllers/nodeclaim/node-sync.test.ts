import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTERED_LABEL, TERMINATION_FINALIZER, UNREGISTERED_TAINT } from '../../apis/labels.js';
import { node } from '../../test/builders.js';
import { applyConditions } from './conditions.js';
import { nodeClaim } from './fixtures.js';
import { initializationBlocker, readyCondition } from './initialization.js';
import { registeredNode } from './registration.js';

const claim = () => {
  const c = nodeClaim({
    name: 'c1', labels: { team: 'web' }, annotations: { note: 'x' },
    taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    startupTaints: [{ key: 'agent', effect: 'NoSchedule' }],
    requests: { cpu: '1', 'example.com/widget': '1' },
  });
  c.metadata.uid = 'uid-c1';
  return c;
};

describe('registeredNode', () => {
  it('syncs labels, annotations, taints, finalizer and owner; drops the unregistered taint; leaves the input alone', () => {
    const n = node('n1', { labels: { team: 'old', zone: 'a' }, taints: [{ ...UNREGISTERED_TAINT }, { key: 'other', effect: 'NoExecute' }] });
    const before = structuredClone(n);
    const out = registeredNode(n, claim());
    assert.deepEqual(n, before);
    assert.equal(out.metadata.labels?.team, 'web', 'the claim wins');
    assert.equal(out.metadata.labels?.zone, 'a');
    assert.equal(out.metadata.labels?.[REGISTERED_LABEL], 'true');
    assert.equal(out.metadata.annotations?.note, 'x');
    assert.deepEqual(out.spec?.taints?.map((t) => t.key), ['other', 'dedicated', 'agent']);
    assert.deepEqual(out.metadata.finalizers, [TERMINATION_FINALIZER]);
    assert.deepEqual(out.metadata.ownerReferences, [{ apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', name: 'c1', uid: 'uid-c1', blockOwnerDeletion: true }]);
  });

  it('is idempotent, and does not put back a startup taint once registered', () => {
    const once = registeredNode(node('n1', { taints: [{ ...UNREGISTERED_TAINT }] }), claim());
    assert.deepEqual(registeredNode(once, claim()), once);
    const cleared = { ...once, spec: { ...once.spec, taints: once.spec!.taints!.filter((t) => t.key !== 'agent') } };
    assert.deepEqual(registeredNode(cleared, claim()).spec?.taints?.map((t) => t.key), ['dedicated']);
  });
});

describe('initializationBlocker', () => {
  const ready = (o: Parameters<typeof node>[1] = {}) => node('n1', o);

  it('names the first thing in the way', () => {
    const c = claim();
    const notReady = ready({ taints: [] });
    notReady.status!.conditions = [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }];
    assert.equal(initializationBlocker(notReady, c)?.reason, 'NodeNotReady');
    assert.equal(initializationBlocker(ready({ taints: [{ key: 'agent', effect: 'NoSchedule' }] }), c)?.reason, 'StartupTaintsExist');
    assert.equal(initializationBlocker(ready({ taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }), c)?.reason, 'KnownEphemeralTaintsExist');
    const noWidget = initializationBlocker(ready(), c);
    assert.equal(noWidget?.reason, 'ResourceNotRegistered');
    assert.match(noWidget?.message ?? '', /example\.com\/widget/);
    const withWidget = ready();
    withWidget.status!.allocatable = { ...withWidget.status!.allocatable, 'example.com/widget': '0' };
    assert.equal(initializationBlocker(withWidget, c)?.reason, 'ResourceNotRegistered', 'zero is not registered');
    withWidget.status!.allocatable['example.com/widget'] = '2';
    assert.equal(initializationBlocker(withWidget, c), undefined);
  });

  it('takes a node without a Ready condition as not ready', () => {
    const n = ready();
    n.status!.conditions = [];
    assert.equal(initializationBlocker(n, nodeClaim())?.reason, 'NodeNotReady');
    assert.equal(readyCondition(n).status, 'Unknown');
  });
});

describe('applyConditions', () => {
  it('moves lastTransitionTime only when the status changes', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const a = applyConditions(undefined, [{ type: 'Launched', status: 'False', reason: 'LaunchFailed', message: 'x' }], t0);
    assert.ok(a.changed);
    const b = applyConditions(a.conditions, [{ type: 'Launched', status: 'False', reason: 'LaunchFailed', message: 'x' }], t0 + 5000);
    assert.ok(!b.changed);
    const c = applyConditions(a.conditions, [{ type: 'Launched', status: 'False', reason: 'LaunchFailed', message: 'y' }], t0 + 5000);
    assert.ok(c.changed);
    assert.equal(c.conditions[0]?.lastTransitionTime, '2024-01-01T00:00:00Z');
    const d = applyConditions(c.conditions, [{ type: 'Launched', status: 'True' }], t0 + 7000);
    assert.deepEqual(d.conditions, [{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: '2024-01-01T00:00:07Z' }]);
  });
});
