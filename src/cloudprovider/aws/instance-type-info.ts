/**
 * One DescribeInstanceTypes entry read into what the provider needs: the well-known labels
 * (karpenter.k8s.aws/instance-*, arch, os, instance type) Karpenter's AWS provider sets, vCPUs,
 * memory, ENI limits and extended resources.
 */
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { ARCH_AMD64, ARCH_ARM64, ARCH_LABEL, AWS_GROUP, INSTANCE_TYPE_LABEL, OS_LABEL } from '../../apis/labels.js';
import type { EniLimits } from './allocatable.js';

export const NVIDIA_GPU = 'nvidia.com/gpu';
export const AMD_GPU = 'amd.com/gpu';
export const NEURON = 'aws.amazon.com/neuron';

/** The parts of an instance type that come from EC2 and do not depend on a node class. */
export interface Ec2TypeInfo {
  readonly name: string;
  /** Label → value (one value each). */
  readonly labels: Readonly<Record<string, string>>;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly eni: EniLimits | undefined;
  /** GPUs and accelerators, as counts. */
  readonly extended: Readonly<Record<string, number>>;
}

const aws = (name: string): string => `${AWS_GROUP}/${name}`;
/** Category letters, an optional "-Ntb" (u-6tb1), then the generation digits. */
const NAME_SCHEME = /^([a-z]+)(-[0-9]+tb)?([0-9]+).*\./;
const ARCHES: Readonly<Record<string, string>> = { x86_64: ARCH_AMD64, arm64: ARCH_ARM64 };

const positive = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n) && n > 0;

/**
 * The type's info, or undefined for types a node cannot run on: no vCPU or memory figure, or no
 * architecture Kubernetes nodes use (i386-only, mac).
 */
export function readInstanceTypeInfo(info: InstanceTypeInfo): Ec2TypeInfo | undefined {
  const name = info.InstanceType;
  const vcpus = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  const arch = (info.ProcessorInfo?.SupportedArchitectures ?? []).map((a) => ARCHES[a]).find((a) => a !== undefined);
  if (name === undefined || !positive(vcpus) || !positive(memoryMiB) || arch === undefined) return undefined;

  const labels: Record<string, string> = {
    [INSTANCE_TYPE_LABEL]: name,
    [ARCH_LABEL]: arch,
    [OS_LABEL]: 'linux',
    [aws('instance-cpu')]: String(vcpus),
    [aws('instance-memory')]: String(memoryMiB),
    [aws('instance-family')]: name.split('.')[0]!,
    [aws('instance-size')]: name.split('.')[1] ?? '',
    [aws('instance-capability-flex')]: String(name.includes('flex')),
    [aws('instance-encryption-in-transit-supported')]: String(info.NetworkInfo?.EncryptionInTransitSupported ?? false),
    [aws('instance-hypervisor')]: info.Hypervisor ?? '',
  };
  const scheme = NAME_SCHEME.exec(name);
  if (scheme) {
    labels[aws('instance-category')] = scheme[1]!;
    labels[aws('instance-generation')] = scheme[3]!;
  }
  const manufacturer = info.ProcessorInfo?.Manufacturer;
  if (manufacturer) labels[aws('instance-cpu-manufacturer')] = manufacturer.toLowerCase();
  const ghz = info.ProcessorInfo?.SustainedClockSpeedInGhz;
  if (ghz !== undefined && Number.isFinite(ghz) && ghz >= 0) labels[aws('instance-cpu-sustained-clock-speed-mhz')] = String(Math.round(ghz * 1000));
  // Only where EBS optimisation is on by default: elsewhere the figure is not what a node gets.
  const ebs = info.EbsInfo?.EbsOptimizedInfo?.MaximumBandwidthInMbps;
  if (positive(ebs) && info.EbsInfo?.EbsOptimizedSupport === 'default') labels[aws('instance-ebs-bandwidth')] = String(ebs);
  const cards = info.NetworkInfo?.NetworkCards ?? [];
  const card = cards.find((c) => c.NetworkCardIndex === (info.NetworkInfo?.DefaultNetworkCardIndex ?? 0)) ?? cards[0];
  const baseline = card?.BaselineBandwidthInGbps;
  if (positive(baseline)) labels[aws('instance-network-bandwidth')] = String(Math.round(baseline * 1000));
  const nvme = info.InstanceStorageInfo?.NvmeSupport;
  const storage = info.InstanceStorageInfo?.TotalSizeInGB;
  if (nvme !== undefined && nvme !== 'unsupported' && positive(storage)) labels[aws('instance-local-nvme')] = String(storage);

  const extended: Record<string, number> = {};
  const gpu = info.GpuInfo?.Gpus?.[0];
  if (gpu !== undefined && positive(gpu.Count)) {
    const maker = (gpu.Manufacturer ?? '').toLowerCase();
    labels[aws('instance-gpu-name')] = (gpu.Name ?? '').toLowerCase().replace(/\s+/g, '-');
    labels[aws('instance-gpu-manufacturer')] = maker;
    labels[aws('instance-gpu-count')] = String(gpu.Count);
    if (positive(gpu.MemoryInfo?.SizeInMiB)) labels[aws('instance-gpu-memory')] = String(gpu.MemoryInfo.SizeInMiB);
    if (maker === 'nvidia') extended[NVIDIA_GPU] = gpu.Count;
    if (maker === 'amd') extended[AMD_GPU] = gpu.Count;
  }
  const neuron = info.NeuronInfo?.NeuronDevices?.[0];
  if (neuron !== undefined && positive(neuron.Count)) {
    labels[aws('instance-accelerator-name')] = (neuron.Name ?? '').toLowerCase().replace(/\s+/g, '-');
    labels[aws('instance-accelerator-manufacturer')] = 'aws';
    labels[aws('instance-accelerator-count')] = String(neuron.Count);
    extended[NEURON] = neuron.Count;
  }

  const enis = info.NetworkInfo?.MaximumNetworkInterfaces;
  const ips = info.NetworkInfo?.Ipv4AddressesPerInterface;
  const eni = positive(enis) && positive(ips) ? { maxNetworkInterfaces: enis, ipv4PerInterface: ips } : undefined;
  return { name, labels, vcpus, memoryMiB, eni, extended };
}
