import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { _InstanceType, InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { loadEc2Data } from '../catalog/ec2-data.js';
import { NVIDIA_GPU, readInstanceTypeInfo } from './instance-type-info.js';

const m5dLarge: InstanceTypeInfo = {
  InstanceType: 'm5d.large',
  Hypervisor: 'nitro',
  SupportedUsageClasses: ['on-demand', 'spot'],
  ProcessorInfo: { SupportedArchitectures: ['x86_64'], SustainedClockSpeedInGhz: 3.1, Manufacturer: 'Intel' },
  VCpuInfo: { DefaultVCpus: 2 },
  MemoryInfo: { SizeInMiB: 8192 },
  InstanceStorageInfo: { TotalSizeInGB: 75, NvmeSupport: 'required' },
  EbsInfo: { EbsOptimizedSupport: 'default', EbsOptimizedInfo: { MaximumBandwidthInMbps: 4750 } },
  NetworkInfo: { MaximumNetworkInterfaces: 3, Ipv4AddressesPerInterface: 10, EncryptionInTransitSupported: false, DefaultNetworkCardIndex: 0, NetworkCards: [{ NetworkCardIndex: 0, BaselineBandwidthInGbps: 0.75 }] },
};

describe('readInstanceTypeInfo', () => {
  it('gives the labels Karpenter publishes for m5d.large', () => {
    const info = readInstanceTypeInfo(m5dLarge)!;
    const published = loadEc2Data().instanceTypes.find((t) => t.name === 'm5d.large')!.labels;
    assert.deepEqual(info.labels, published);
    assert.deepEqual(info.eni, { maxNetworkInterfaces: 3, ipv4PerInterface: 10 });
    assert.equal(info.vcpus, 2);
    assert.equal(info.memoryMiB, 8192);
  });

  it('GPUs become labels and an extended resource', () => {
    const info = readInstanceTypeInfo({
      ...m5dLarge, InstanceType: 'g4dn.xlarge',
      GpuInfo: { Gpus: [{ Name: 'T4', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 16384 } }] },
    })!;
    assert.equal(info.labels['karpenter.k8s.aws/instance-gpu-name'], 't4');
    assert.equal(info.labels['karpenter.k8s.aws/instance-gpu-manufacturer'], 'nvidia');
    assert.equal(info.labels['karpenter.k8s.aws/instance-gpu-count'], '1');
    assert.equal(info.labels['karpenter.k8s.aws/instance-gpu-memory'], '16384');
    assert.deepEqual(info.extended, { [NVIDIA_GPU]: 1 });
  });

  it('leaves out types nodes cannot run on', () => {
    assert.equal(readInstanceTypeInfo({ ...m5dLarge, ProcessorInfo: { SupportedArchitectures: ['i386'] } }), undefined);
    assert.equal(readInstanceTypeInfo({ ...m5dLarge, ProcessorInfo: { SupportedArchitectures: ['x86_64_mac'] } }), undefined);
    assert.equal(readInstanceTypeInfo({ ...m5dLarge, MemoryInfo: {} }), undefined);
    assert.equal(readInstanceTypeInfo({ ...m5dLarge, VCpuInfo: { DefaultVCpus: 0 } }), undefined);
  });

  it('category, generation, family and size from the name agree with the published labels of all 1,363 types', () => {
    const keys = ['instance-category', 'instance-generation', 'instance-family', 'instance-size', 'instance-capability-flex'].map((k) => `karpenter.k8s.aws/${k}`);
    for (const t of loadEc2Data().instanceTypes) {
      const arch = t.labels['kubernetes.io/arch'] === 'arm64' ? 'arm64' : 'x86_64';
      const info = readInstanceTypeInfo({ InstanceType: t.name as _InstanceType, ProcessorInfo: { SupportedArchitectures: [arch] }, VCpuInfo: { DefaultVCpus: 1 }, MemoryInfo: { SizeInMiB: 1 } })!;
      for (const k of keys) assert.equal(info.labels[k], t.labels[k], `${t.name} ${k}`);
    }
  });
});
