import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadEc2Data } from '../catalog/ec2-data.js';
import { resourceAmount } from '../../utils/quantity.js';
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS } from '../../utils/resources.js';
import { eniLimitedPods, GiB, kubeReservedCpuMillis, maxPods, MiB, nodeCapacity, nodeOverhead, vmMemoryMiB } from './allocatable.js';

const allocatable = (shape: Parameters<typeof nodeOverhead>[0], kubelet?: Parameters<typeof nodeOverhead>[1]): Record<string, number> => {
  const cap = nodeCapacity(shape);
  const over = nodeOverhead(shape, kubelet);
  return Object.fromEntries(Object.entries(cap).map(([k, v]) => [k, v - (over[k] ?? 0)]));
};

describe('EKS allocatable', () => {
  it('kube-reserved cpu: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above (truncated per tier)', () => {
    assert.equal(kubeReservedCpuMillis(1), 60);
    assert.equal(kubeReservedCpuMillis(2), 70);
    assert.equal(kubeReservedCpuMillis(4), 80);
    assert.equal(kubeReservedCpuMillis(5), 82);
    assert.equal(kubeReservedCpuMillis(8), 90);
    assert.equal(kubeReservedCpuMillis(96), 310);
  });

  it('max pods: ENIs × (IPv4 per ENI − 1) + 2, 110 without ENI data, kubelet maxPods and podsPerCore win', () => {
    assert.equal(eniLimitedPods({ maxNetworkInterfaces: 3, ipv4PerInterface: 10 }), 29);
    assert.equal(maxPods(2, { maxNetworkInterfaces: 3, ipv4PerInterface: 10 }, undefined), 29);
    assert.equal(maxPods(2, undefined, undefined), 110);
    assert.equal(maxPods(2, { maxNetworkInterfaces: 3, ipv4PerInterface: 10 }, { maxPods: 50 }), 50);
    assert.equal(maxPods(2, undefined, { podsPerCore: 10 }), 20);
  });

  it('memory: less 7.5% for the VM (rounded up), 11 MiB per pod + 255 MiB, 100 Mi eviction; storage: 1 Gi + 10%', () => {
    assert.equal(vmMemoryMiB(8192), 7577);
    const a = allocatable({ vcpus: 2, memoryMiB: 8192, pods: 29, ephemeralStorageBytes: 20 * GiB });
    assert.equal(a[CPU], 1930);
    assert.equal(a[MEMORY], 6903 * MiB);
    assert.equal(a[PODS], 29);
    assert.equal(a[EPHEMERAL_STORAGE], 17 * GiB);
  });

  it('kubelet settings: kube and system reserved replace or add, eviction takes the larger of hard and soft, percentages of capacity', () => {
    const shape = { vcpus: 4, memoryMiB: 16384, pods: 58, ephemeralStorageBytes: 100 * GiB };
    const base = allocatable(shape);
    const tuned = allocatable(shape, {
      kubeReserved: { cpu: '200m', memory: '1Gi' }, systemReserved: { cpu: '100m', memory: '512Mi' },
      evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '5%' }, evictionSoft: { 'memory.available': '500Mi' },
    });
    assert.equal(tuned[CPU], 4000 - 300);
    assert.equal(tuned[MEMORY], nodeCapacity(shape)[MEMORY]! - GiB - 512 * MiB - 500 * MiB);
    assert.equal(tuned[EPHEMERAL_STORAGE], 100 * GiB - GiB - 5 * GiB);
    assert.ok(base[MEMORY]! > tuned[MEMORY]);
  });

  it('matches the published allocatable of every x86 type in the bundled data (967 types); arm64 types are listed 59 Mi lower there', () => {
    let amd64 = 0;
    for (const t of loadEc2Data().instanceTypes) {
      const vcpus = Number(t.labels['karpenter.k8s.aws/instance-cpu']);
      const memoryMiB = Number(t.labels['karpenter.k8s.aws/instance-memory']);
      const pods = Number(t.allocatable.pods);
      const a = allocatable({ vcpus, memoryMiB, pods, ephemeralStorageBytes: 20 * GiB });
      assert.equal(a[CPU], resourceAmount(CPU, t.allocatable.cpu!), `${t.name} cpu`);
      assert.equal(a[EPHEMERAL_STORAGE], resourceAmount(EPHEMERAL_STORAGE, t.allocatable['ephemeral-storage']!), `${t.name} storage`);
      const published = resourceAmount(MEMORY, t.allocatable.memory!);
      // The published arm64 figures subtract 59 Mi more than the formula does (a measured
      // capacity, not the 7.5% rule); every one of them, so it is a constant, not noise.
      const expected = t.labels['kubernetes.io/arch'] === 'arm64' ? published + 59 * MiB : published;
      assert.equal(a[MEMORY], expected, `${t.name} memory`);
      if (t.labels['kubernetes.io/arch'] === 'amd64') amd64++;
    }
    assert.equal(amd64, 967);
  });
});
