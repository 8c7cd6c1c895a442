import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { convertProvisioner } from './convert.js';
import type { Provisioner } from './types.js';
import { MAX_TTL_SECONDS, validateProvisioner } from './validation.js';
import { formatProblems, validateNodePool } from '../v1/validation.js';

/** A Provisioner using every v1alpha5 field, in the style of Karpenter v0.32's documentation. */
const FULL = `
apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata:
  name: default
  labels:
    app.kubernetes.io/managed-by: helm
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    example.com/owner: platform
spec:
  labels:
    billing-team: my-team
  annotations:
    example.com/node-owner: platform
  taints:
    - key: example.com/special-taint
      effect: NoSchedule
  startupTaints:
    - key: example.com/another-taint
      effect: NoSchedule
  requirements:
    - key: karpenter.k8s.aws/instance-category
      operator: In
      values: ["c", "m", "r"]
    - key: karpenter.k8s.aws/instance-generation
      operator: Gt
      values: ["2"]
    - key: failure-domain.beta.kubernetes.io/zone
      operator: In
      values: ["us-west-2a", "us-west-2b"]
    - key: beta.kubernetes.io/arch
      operator: In
      values: ["arm64", "amd64"]
    - key: karpenter.sh/capacity-type
      operator: In
      values: ["spot", "on-demand"]
  kubeletConfiguration:
    clusterDNS: ["10.0.1.100"]
    containerRuntime: containerd
    maxPods: 20
    systemReserved:
      cpu: 100m
      memory: 100Mi
    evictionHard:
      memory.available: 5%
    evictionSoft:
      memory.available: 500Mi
    evictionSoftGracePeriod:
      memory.available: 1m
    imageGCHighThresholdPercent: 85
    imageGCLowThresholdPercent: 80
    cpuCFSQuota: true
  providerRef:
    name: default
  ttlSecondsUntilExpired: 2592000
  ttlSecondsAfterEmpty: 30
  limits:
    resources:
      cpu: "1000"
      memory: 1000Gi
  weight: 10
`;

function provisioner(spec: Provisioner['spec'], name = 'p'): Provisioner {
  return { apiVersion: 'karpenter.sh/v1alpha5', kind: 'Provisioner', metadata: { name }, spec };
}

describe('convertProvisioner', () => {
  it('converts a full Provisioner into a valid NodePool', () => {
    const input = parse(FULL) as Provisioner;
    assert.deepEqual(validateProvisioner(input), []);
    const before = structuredClone(input);
    const { nodePool, warnings } = convertProvisioner(input);
    assert.deepEqual(input, before, 'the Provisioner is not modified');
    assert.deepEqual(validateNodePool(nodePool), [], formatProblems(validateNodePool(nodePool)));

    assert.deepEqual(nodePool.metadata, {
      name: 'default',
      labels: { 'app.kubernetes.io/managed-by': 'helm' },
      annotations: {
        'example.com/owner': 'platform',
        'compatibility.karpenter.sh/v1beta1-kubelet-conversion': JSON.stringify({
          clusterDNS: ['10.0.1.100'],
          maxPods: 20,
          systemReserved: { cpu: '100m', memory: '100Mi' },
          evictionHard: { 'memory.available': '5%' },
          evictionSoft: { 'memory.available': '500Mi' },
          evictionSoftGracePeriod: { 'memory.available': '1m' },
          imageGCHighThresholdPercent: 85,
          imageGCLowThresholdPercent: 80,
          cpuCFSQuota: true,
        }),
      },
    });
    assert.deepEqual(nodePool.spec, {
      template: {
        metadata: { labels: { 'billing-team': 'my-team' }, annotations: { 'example.com/node-owner': 'platform' } },
        spec: {
          taints: [{ key: 'example.com/special-taint', effect: 'NoSchedule' }],
          startupTaints: [{ key: 'example.com/another-taint', effect: 'NoSchedule' }],
          requirements: [
            { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
            { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['2'] },
            { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-west-2a', 'us-west-2b'] },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'amd64'] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
          ],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          expireAfter: '720h',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s' },
      limits: { cpu: '1000', memory: '1000Gi' },
      weight: 10,
    });

    const expected = [
      /AWSNodeTemplate "default": nodeClassRef now names the EC2NodeClass "default"/,
      /containerRuntime \(containerd\) has no equivalent/,
      /kubeletConfiguration .*EC2NodeClass spec.kubelet.*compatibility.karpenter.sh\/v1beta1-kubelet-conversion/,
      /requirements\[2\]: the deprecated label failure-domain.beta.kubernetes.io\/zone became topology.kubernetes.io\/zone/,
      /requirements\[3\]: the deprecated label beta.kubernetes.io\/arch became kubernetes.io\/arch/,
    ];
    assert.equal(warnings.length, expected.length, warnings.join('\n'));
    for (const re of expected) assert.ok(warnings.some((w) => re.test(w)), `missing warning ${re}\n${warnings.join('\n')}`);
  });

  it('turns consolidation.enabled into WhenEmptyOrUnderutilized', () => {
    const { nodePool } = convertProvisioner(provisioner({ providerRef: { name: 'x' }, consolidation: { enabled: true } }));
    assert.deepEqual(nodePool.spec.disruption, { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' });
  });

  it('disables consolidation and expiry when neither TTL nor consolidation is set', () => {
    const { nodePool } = convertProvisioner(provisioner({ providerRef: { name: 'x' }, consolidation: { enabled: false } }));
    assert.deepEqual(nodePool.spec.disruption, { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
    assert.equal(nodePool.spec.template.spec.expireAfter, 'Never');
  });

  it('reads explicit nulls as absent fields, as validation does (a null kubeletConfiguration or providerRef crashed it)', () => {
    const p = {
      apiVersion: 'karpenter.sh/v1alpha5', kind: 'Provisioner', metadata: { name: 'nulls' },
      spec: { provider: { subnetSelector: { a: 'b' } }, providerRef: null, kubeletConfiguration: null, consolidation: null, requirements: null },
    } as unknown as Provisioner;
    assert.deepEqual(validateProvisioner(p), []);
    const { nodePool, warnings } = convertProvisioner(p);
    assert.deepEqual(validateNodePool(nodePool), []);
    assert.ok(!warnings.some((w) => w.includes('kubeletConfiguration')), warnings.join('\n'));
    assert.equal(nodePool.spec.template.spec.nodeClassRef.name, 'nulls');
  });

  it('converts the longest TTL validation allows into a valid duration', () => {
    const p = { apiVersion: 'karpenter.sh/v1alpha5', kind: 'Provisioner', metadata: { name: 'long' }, spec: { providerRef: { name: 'x' }, ttlSecondsAfterEmpty: MAX_TTL_SECONDS, ttlSecondsUntilExpired: MAX_TTL_SECONDS } } as Provisioner;
    assert.deepEqual(validateProvisioner(p), []);
    assert.deepEqual(validateNodePool(convertProvisioner(p).nodePool), []);
  });

  it('writes TTLs as readable durations, zero included', () => {
    const { nodePool } = convertProvisioner(provisioner({ providerRef: { name: 'x' }, ttlSecondsAfterEmpty: 0, ttlSecondsUntilExpired: 5400 }));
    assert.equal(nodePool.spec.disruption?.consolidateAfter, '0s');
    assert.equal(nodePool.spec.template.spec.expireAfter, '1h30m');
    assert.deepEqual(validateNodePool(nodePool), []);
  });

  it('prefers consolidation when an invalid Provisioner sets both, and says so', () => {
    const { nodePool, warnings } = convertProvisioner(
      provisioner({ providerRef: { name: 'x' }, ttlSecondsAfterEmpty: 30, consolidation: { enabled: true } }),
    );
    assert.equal(nodePool.spec.disruption?.consolidationPolicy, 'WhenEmptyOrUnderutilized');
    assert.ok(warnings.some((w) => /ttlSecondsAfterEmpty was ignored/.test(w)));
  });

  it('keeps a non-AWS providerRef as it is', () => {
    const { nodePool, warnings } = convertProvisioner(
      provisioner({
        providerRef: { apiVersion: 'karpenter.kwok.sh/v1alpha1', kind: 'KWOKNodeClass', name: 'kwok' },
        requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }],
      }),
    );
    assert.deepEqual(nodePool.spec.template.spec.nodeClassRef, { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'kwok' });
    assert.deepEqual(warnings, []);
  });

  it('keeps an inline provider in an annotation and points nodeClassRef at a node class of the same name', () => {
    const provider = { subnetSelector: { 'karpenter.sh/discovery': 'demo' }, instanceProfile: 'KarpenterNode' };
    const { nodePool, warnings } = convertProvisioner(provisioner({ provider }, 'legacy'));
    assert.deepEqual(nodePool.spec.template.spec.nodeClassRef, { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'legacy' });
    assert.equal(nodePool.metadata.annotations?.['compatibility.karpenter.sh/provider'], JSON.stringify(provider));
    assert.ok(warnings.some((w) => /spec.provider .* no NodePool equivalent: create an EC2NodeClass named "legacy"/.test(w)));
  });

  it('warns that on-demand is no longer the default on AWS', () => {
    const { warnings } = convertProvisioner(provisioner({ providerRef: { name: 'x' }, ttlSecondsAfterEmpty: 30 }));
    assert.ok(warnings.some((w) => /no karpenter.sh\/capacity-type requirement/.test(w)), warnings.join('\n'));
  });

  it('drops provisioner-name labels and requirements with a warning', () => {
    const { nodePool, warnings } = convertProvisioner(
      provisioner({
        providerRef: { name: 'x' },
        labels: { 'karpenter.sh/provisioner-name': 'p', team: 'a' },
        requirements: [
          { key: 'karpenter.sh/provisioner-name', operator: 'In', values: ['p'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        ],
      }),
    );
    assert.deepEqual(nodePool.spec.template.metadata?.labels, { team: 'a' });
    assert.deepEqual(nodePool.spec.template.spec.requirements, [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }]);
    assert.equal(warnings.filter((w) => /was dropped/.test(w)).length, 2);
  });

  it('leaves out empty sections', () => {
    const { nodePool } = convertProvisioner(
      provisioner({ providerRef: { name: 'x' }, requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }] }),
    );
    assert.equal(nodePool.spec.template.metadata, undefined);
    assert.equal(nodePool.spec.limits, undefined);
    assert.equal(nodePool.spec.weight, undefined);
    assert.equal(nodePool.metadata.annotations, undefined);
    assert.equal('taints' in nodePool.spec.template.spec, false);
  });
});
