import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DISRUPTED_TAINT,
  isDisruptedTaint,
  isDoNotDisrupt,
  isWellKnownLabel,
  KNOWN_EPHEMERAL_TAINTS,
  labelDomain,
  labelKeyProblems,
  labelValueProblems,
  nodeClassLabelKey,
  normalizeLabelKey,
  restrictedLabelReason,
  UNREGISTERED_TAINT,
} from './labels.js';

describe('well-known labels', () => {
  it('covers the Kubernetes, Karpenter and provider node properties', () => {
    for (const key of [
      'karpenter.sh/nodepool', 'karpenter.sh/capacity-type', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region',
      'node.kubernetes.io/instance-type', 'kubernetes.io/arch', 'kubernetes.io/os', 'node.kubernetes.io/windows-build',
      'karpenter.k8s.aws/instance-family', 'karpenter.k8s.aws/instance-generation', 'karpenter.k8s.aws/instance-gpu-count',
      'topology.k8s.aws/zone-id', 'karpenter.kwok.sh/instance-size',
    ]) {
      assert.ok(isWellKnownLabel(key), key);
    }
    for (const key of ['kubernetes.io/hostname', 'team', 'karpenter.sh/registered', 'failure-domain.beta.kubernetes.io/zone']) {
      assert.ok(!isWellKnownLabel(key), key);
    }
  });

  it('normalises every deprecated alias and leaves other keys alone', () => {
    assert.equal(normalizeLabelKey('failure-domain.beta.kubernetes.io/zone'), 'topology.kubernetes.io/zone');
    assert.equal(normalizeLabelKey('failure-domain.beta.kubernetes.io/region'), 'topology.kubernetes.io/region');
    assert.equal(normalizeLabelKey('beta.kubernetes.io/arch'), 'kubernetes.io/arch');
    assert.equal(normalizeLabelKey('beta.kubernetes.io/os'), 'kubernetes.io/os');
    assert.equal(normalizeLabelKey('beta.kubernetes.io/instance-type'), 'node.kubernetes.io/instance-type');
    assert.equal(normalizeLabelKey('topology.kubernetes.io/zone'), 'topology.kubernetes.io/zone');
    assert.equal(normalizeLabelKey('example.com/x'), 'example.com/x');
  });

  it('leaves keys named like Object.prototype members alone (a "constructor" label is just a label)', () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.equal(normalizeLabelKey(key), key);
      assert.equal(restrictedLabelReason(key), undefined, key);
    }
  });

  it('builds the node class label', () => {
    assert.equal(nodeClassLabelKey('karpenter.k8s.aws', 'EC2NodeClass'), 'karpenter.k8s.aws/ec2nodeclass');
  });
});

describe('restrictedLabelReason', () => {
  const allowed = [
    'team', 'example.com/team', 'kubernetes.io/arch', 'beta.kubernetes.io/arch', 'failure-domain.beta.kubernetes.io/zone',
    'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'node.kubernetes.io/custom',
    'node-restriction.kubernetes.io/team', 'kops.k8s.io/instancegroup', 'karpenter.sh/capacity-type',
    'karpenter.sh/nodepool', 'karpenter.k8s.aws/instance-category', 'topology.k8s.aws/zone-id', 'k8s.io.example.com/x',
  ];
  for (const key of allowed) {
    it(`allows ${key}`, () => assert.equal(restrictedLabelReason(key), undefined));
  }
  const restricted: [string, RegExp][] = [
    ['kubernetes.io/custom', /domain "kubernetes.io" is restricted/],
    ['topology.kubernetes.io/rack', /domain "kubernetes.io"/],
    ['kubernetes.io/hostname', /"kubernetes.io\/hostname" is restricted/],
    ['k8s.io/x', /domain "k8s.io"/],
    ['example.k8s.io/x', /domain "k8s.io"/],
    ['karpenter.sh/registered', /domain "karpenter.sh"/],
    ['sub.karpenter.sh/x', /domain "karpenter.sh"/],
    ['karpenter.k8s.aws/ec2nodeclass', /domain "karpenter.k8s.aws"/],
    ['karpenter.kwok.sh/other', /domain "karpenter.kwok.sh"/],
  ];
  for (const [key, why] of restricted) {
    it(`restricts ${key}`, () => assert.match(restrictedLabelReason(key) ?? '', why));
  }
});

describe('label syntax', () => {
  it('accepts qualified names', () => {
    for (const key of ['a', 'team', 'example.com/team', 'a-b_c.d', 'A9', `${'a'.repeat(253)}/${'b'.repeat(63)}`]) {
      assert.deepEqual(labelKeyProblems(key), [], key);
    }
  });
  const badKeys: [string, RegExp][] = [
    ['', /must not be empty/],
    ['a/b/c', /one "\/"/],
    ['/x', /prefix .* must not be empty/],
    ['x/', /name part .* must not be empty/],
    ['Example.com/x', /lowercase DNS subdomain/],
    ['ex_ample.com/x', /lowercase DNS subdomain/],
    [`${'a'.repeat(254)}/x`, /at most 253/],
    ['b'.repeat(64), /at most 63/],
    ['-team', /start and end with a letter or digit/],
    ['team-', /start and end/],
    ['te am', /contain only/],
  ];
  for (const [key, why] of badKeys) {
    it(`rejects key ${JSON.stringify(key.length > 30 ? key.slice(0, 30) + '…' : key)}`, () => {
      const problems = labelKeyProblems(key);
      assert.equal(problems.length, 1, problems.join('; '));
      assert.match(problems[0]!, why);
    });
  }
  it('checks label values', () => {
    assert.deepEqual(labelValueProblems(''), []);
    assert.deepEqual(labelValueProblems('us-west-2a'), []);
    assert.deepEqual(labelValueProblems('a'.repeat(63)), []);
    assert.match(labelValueProblems('a'.repeat(64))[0]!, /at most 63/);
    assert.match(labelValueProblems('a/b')[0]!, /contain only/);
    assert.match(labelValueProblems('_a')[0]!, /start and end/);
  });
  it('finds the domain of a key', () => {
    assert.equal(labelDomain('example.com/x'), 'example.com');
    assert.equal(labelDomain('x'), '');
  });
});

describe('annotations and taints', () => {
  it('treats the v1alpha5 annotations as do-not-disrupt', () => {
    assert.equal(isDoNotDisrupt(undefined), false);
    assert.equal(isDoNotDisrupt({}), false);
    assert.equal(isDoNotDisrupt({ 'karpenter.sh/do-not-disrupt': 'true' }), true);
    assert.equal(isDoNotDisrupt({ 'karpenter.sh/do-not-evict': 'true' }), true);
    assert.equal(isDoNotDisrupt({ 'karpenter.sh/do-not-consolidate': 'true' }), true);
    assert.equal(isDoNotDisrupt({ 'karpenter.sh/do-not-disrupt': 'false' }), false);
  });
  it('defines the Karpenter taints', () => {
    assert.deepEqual(DISRUPTED_TAINT, { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
    assert.deepEqual(UNREGISTERED_TAINT, { key: 'karpenter.sh/unregistered', effect: 'NoExecute' });
    assert.ok(Object.isFrozen(DISRUPTED_TAINT));
    assert.ok(KNOWN_EPHEMERAL_TAINTS.some((t) => t.key === 'node.kubernetes.io/not-ready'));
  });
  it('recognises the disrupted taint in its v1 and v1beta1 forms only', () => {
    assert.ok(isDisruptedTaint({ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }));
    assert.ok(isDisruptedTaint({ key: 'karpenter.sh/disruption', value: 'disrupting', effect: 'NoSchedule' }));
    assert.ok(!isDisruptedTaint({ key: 'karpenter.sh/disrupted', effect: 'NoExecute' }));
    assert.ok(!isDisruptedTaint({ key: 'karpenter.sh/disruption', value: 'other', effect: 'NoSchedule' }));
  });
});
