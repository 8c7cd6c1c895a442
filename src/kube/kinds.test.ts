import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_KINDS, isKind, KINDS } from './kinds.js';

describe('KINDS', () => {
  it('describes every kind consistently', () => {
    for (const kind of ALL_KINDS) {
      const k = KINDS[kind];
      assert.equal(k.kind, kind);
      assert.equal(k.apiVersion, k.group ? `${k.group}/${k.version}` : k.version);
      assert.match(k.plural, /^[a-z][a-z0-9]*s$/);
      if (!k.statusSubresource) assert.equal(k.statusOnCreate, 'keep');
    }
  });
  it('knows the scopes and groups the controllers depend on', () => {
    assert.equal(KINDS.Pod.namespaced, true);
    assert.equal(KINDS.Node.namespaced, false);
    assert.equal(KINDS.NodeClaim.apiVersion, 'karpenter.sh/v1');
    assert.equal(KINDS.NodeClaim.unconditionalUpdate, false);
    assert.equal(KINDS.PodDisruptionBudget.apiVersion, 'policy/v1');
    assert.equal(KINDS.EC2NodeClass.apiVersion, 'karpenter.k8s.aws/v1');
    assert.equal(KINDS.EC2NodeClass.plural, 'ec2nodeclasses');
    assert.equal(KINDS.EC2NodeClass.namespaced, false);
    assert.equal(KINDS.EC2NodeClass.statusSubresource, true);
    assert.equal(KINDS.Lease.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(KINDS.Event.apiVersion, 'events.k8s.io/v1');
    assert.equal(KINDS.Node.statusOnCreate, 'keep');
    assert.ok(isKind('Pod') && !isKind('ConfigMap') && !isKind('toString'));
  });
});
