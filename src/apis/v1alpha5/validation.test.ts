import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateProvisioner } from './validation.js';
import type { Provisioner } from './types.js';
import { formatProblems } from '../v1/validation.js';
import type { ValidationProblem } from '../v1/validation.js';

function base(): Provisioner {
  return {
    apiVersion: 'karpenter.sh/v1alpha5',
    kind: 'Provisioner',
    metadata: { name: 'default' },
    spec: {
      requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }],
      providerRef: { name: 'default' },
      ttlSecondsAfterEmpty: 30,
    },
  };
}

/** Replaces top-level spec fields (undefined deletes) and validates. */
function withSpec(fields: Record<string, unknown>): ValidationProblem[] {
  const p = base() as unknown as { spec: Record<string, unknown> };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete p.spec[key];
    else p.spec[key] = value;
  }
  return validateProvisioner(p);
}

function assertProblems(actual: readonly ValidationProblem[], expected: readonly [string, RegExp][]): void {
  const shown = formatProblems(actual);
  assert.equal(actual.length, expected.length, `expected ${expected.length} problem(s), got:\n${shown}`);
  for (const [path, message] of expected) {
    assert.ok(actual.some((p) => p.path === path && message.test(p.message)), `missing ${path}: ${message}\ngot:\n${shown}`);
  }
}

describe('validateProvisioner', () => {
  it('accepts a plain Provisioner, and one without requirements', () => {
    assert.deepEqual(validateProvisioner(base()), []);
    assert.deepEqual(withSpec({ requirements: undefined }), []);
  });

  const cases: [string, Record<string, unknown>, [string, RegExp][]][] = [
    ['ttlSecondsAfterEmpty with consolidation', { consolidation: { enabled: true } },
      [['spec.ttlSecondsAfterEmpty', /cannot be combined with consolidation.enabled/]]],
    ['consolidation disabled next to a TTL (allowed)', { consolidation: { enabled: false } }, []],
    ['negative TTLs', { ttlSecondsAfterEmpty: -1, ttlSecondsUntilExpired: -5 },
      [['spec.ttlSecondsAfterEmpty', /integer between 0 and/], ['spec.ttlSecondsUntilExpired', /integer between 0 and/]]],
    ['TTLs longer than a duration holds (they would convert to invalid durations)', { ttlSecondsAfterEmpty: 2 ** 53, ttlSecondsUntilExpired: 9_223_372_037 },
      [['spec.ttlSecondsAfterEmpty', /integer between 0 and 9223372036/], ['spec.ttlSecondsUntilExpired', /integer between 0 and 9223372036/]]],
    ['a non-boolean consolidation.enabled', { consolidation: { enabled: 'yes' } }, [['spec.consolidation.enabled', /true or false/]]],
    ['both provider and providerRef', { provider: { subnetSelector: {} } }, [['spec', /provider or providerRef, not both/]]],
    ['neither provider nor providerRef', { providerRef: undefined }, [['spec', /one of provider or providerRef is required/]]],
    ['a providerRef without a name', { providerRef: { kind: 'AWSNodeTemplate' } }, [['spec.providerRef.name', /is required/]]],
    ['v1-only operators and minValues', { requirements: [{ key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gte', values: ['4'], minValues: 2 }] },
      [['spec.requirements[0].operator', /"Gte" is not supported; use one of In, NotIn, Exists, DoesNotExist, Gt, Lt$/], ['spec.requirements[0].minValues', /not supported/]]],
    ['the provisioner-name label', { labels: { 'karpenter.sh/provisioner-name': 'x' }, requirements: [{ key: 'karpenter.sh/provisioner-name', operator: 'Exists' }] },
      [['spec.labels["karpenter.sh/provisioner-name"]', /restricted/], ['spec.requirements[0].key', /restricted/]]],
    ['restricted requirement domains', { requirements: [{ key: 'kubernetes.io/custom', operator: 'Exists' }] },
      [['spec.requirements[0].key', /domain "kubernetes.io"/]]],
    ['duplicate taints', { taints: [{ key: 'a', effect: 'NoSchedule' }], startupTaints: [{ key: 'a', effect: 'NoSchedule' }] },
      [['spec.startupTaints[0]', /duplicates spec.taints\[0\]/]]],
    ['bad limits and weight', { limits: { resources: { cpu: 'x' } }, weight: 101 },
      [['spec.limits.resources.cpu', /invalid quantity "x"/], ['spec.weight', /between 1 and 100/]]],
    ['bad kubelet settings', {
      kubeletConfiguration: {
        maxPods: -1,
        imageGCHighThresholdPercent: 50,
        imageGCLowThresholdPercent: 60,
        kubeReserved: { gpu: '1', cpu: '-100m' },
        evictionHard: { 'memory.free': '1Gi', 'nodefs.available': '110%' },
        evictionSoft: { 'memory.available': 'lots' },
        evictionSoftGracePeriod: { 'nodefs.available': '1 minute' },
        clusterDNS: '10.0.0.10',
      },
    }, [
      ['spec.kubeletConfiguration.maxPods', /integer at least 0/],
      ['spec.kubeletConfiguration.imageGCHighThresholdPercent', /must not be below imageGCLowThresholdPercent \(60\)/],
      ['spec.kubeletConfiguration.clusterDNS', /list of IP address strings/],
      ['spec.kubeletConfiguration.kubeReserved.gpu', /"gpu" cannot be reserved/],
      ['spec.kubeletConfiguration.kubeReserved.cpu', /must not be negative/],
      ['spec.kubeletConfiguration.evictionHard["memory.free"]', /not an eviction signal/],
      ['spec.kubeletConfiguration.evictionHard["nodefs.available"]', /between 0% and 100%/],
      ['spec.kubeletConfiguration.evictionSoft["memory.available"]', /invalid quantity "lots"/],
      ['spec.kubeletConfiguration.evictionSoftGracePeriod["nodefs.available"]', /parsing duration "1 minute"/],
      ['spec.kubeletConfiguration.evictionSoft["memory.available"]', /no matching evictionSoftGracePeriod/],
      ['spec.kubeletConfiguration.evictionSoftGracePeriod["nodefs.available"]', /no matching evictionSoft threshold/],
    ]],
    ['a negative reserved quantity', { kubeletConfiguration: { systemReserved: { memory: '-1Gi' } } },
      [['spec.kubeletConfiguration.systemReserved.memory', /must not be negative/]]],
    ['good kubelet settings', {
      kubeletConfiguration: {
        maxPods: 110, podsPerCore: 10, evictionMaxPodGracePeriod: 60, cpuCFSQuota: false, containerRuntime: 'containerd',
        imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, kubeReserved: { cpu: '200m', 'ephemeral-storage': '1Gi', pid: '1000' },
        evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' },
        evictionSoft: { 'imagefs.available': '15%' }, evictionSoftGracePeriod: { 'imagefs.available': '1m30s' },
      },
    }, []],
  ];
  for (const [name, fields, expected] of cases) {
    it(`reports ${name}`, () => assertProblems(withSpec(fields), expected));
  }

  it('checks the name and apiVersion, and survives malformed input', () => {
    assertProblems(validateProvisioner({ apiVersion: 'karpenter.sh/v1', metadata: {}, spec: base().spec }), [
      ['apiVersion', /must be karpenter.sh\/v1alpha5/],
      ['metadata.name', /is required/],
    ]);
    for (const bad of [null, [], { metadata: { name: 'x' } }, { metadata: { name: 'x' }, spec: { kubeletConfiguration: 'x', limits: 3, consolidation: 1 } }]) {
      assert.ok(validateProvisioner(bad).length > 0);
    }
  });
});
