import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { INVALID_EC2NODECLASSES, buildEC2Case, validEC2NodeClass } from './cases.js';
import { validateEC2NodeClass } from './validation.js';

describe('validateEC2NodeClass', () => {
  it('accepts the valid node class, and a Karpenter-style manifest', () => {
    assert.deepEqual(validateEC2NodeClass(validEC2NodeClass()), []);
    const manifest = parse(`
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: default }
spec:
  amiFamily: AL2023
  instanceProfile: KarpenterNodeInstanceProfile
  amiSelectorTerms:
    - name: "amazon-eks-node-al2023-x86_64-standard-1.34-*"
      owner: amazon
  subnetSelectorTerms: [{ tags: { karpenter.sh/discovery: demo } }]
  securityGroupSelectorTerms: [{ name: eks-cluster-sg-demo }]
  metadataOptions: { httpTokens: optional }
  userData: |
    apiVersion: node.eks.aws/v1alpha1
    kind: NodeConfig
`) as unknown;
    assert.deepEqual(validateEC2NodeClass(manifest), []);
  });

  for (const c of INVALID_EC2NODECLASSES) {
    it(`rejects: ${c.name} (${c.field})`, () => {
      const problems = validateEC2NodeClass(buildEC2Case(c));
      const hit = problems.find((p) => p.path.startsWith(c.field) && (c.message === undefined || c.message.test(p.message)));
      assert.ok(hit, JSON.stringify(problems));
    });
  }

  it('refuses switching from role to instanceProfile on update, and allows keeping the role', () => {
    const old = validEC2NodeClass();
    const switched = validEC2NodeClass();
    delete switched.spec.role;
    switched.spec.instanceProfile = 'profile';
    assert.deepEqual(validateEC2NodeClass(switched), []);
    assert.match(validateEC2NodeClass(switched, old).map((p) => p.message).join('\n'), /changing from 'instanceProfile' to 'role'/);
    const renamed = validEC2NodeClass();
    renamed.spec.role = 'OtherRole';
    assert.deepEqual(validateEC2NodeClass(renamed, old), []);
  });

  it('checks identity and never throws on junk', () => {
    assert.deepEqual(validateEC2NodeClass(null), [{ path: '', message: 'must be a EC2NodeClass object, got null' }]);
    const wrong = { ...validEC2NodeClass(), apiVersion: 'karpenter.k8s.aws/v1beta1', kind: 'NodePool' };
    assert.deepEqual(validateEC2NodeClass(wrong).map((p) => p.path), ['apiVersion', 'kind']);
    assert.deepEqual(validateEC2NodeClass({ metadata: {}, spec: 'x' }).map((p) => p.path), ['metadata.name', 'spec']);
    const big = validEC2NodeClass() as unknown as { spec: { kubelet: Record<string, unknown> } };
    big.spec.kubelet = { maxPods: 110n };
    assert.deepEqual(validateEC2NodeClass(big), [{ path: 'spec.kubelet.maxPods', message: 'must be of type integer, got bigint 110' }]);
    for (const junk of [{}, { metadata: { name: 'x' }, spec: { amiSelectorTerms: 'x', kubelet: [] } }, { metadata: { name: 'x' }, spec: { subnetSelectorTerms: [null, 3] } }]) {
      assert.ok(validateEC2NodeClass(junk).length > 0);
    }
  });
});
