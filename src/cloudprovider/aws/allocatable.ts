/**
 * Capacity and overhead of an EC2 instance as an EKS node sees them (Karpenter's AWS provider):
 * memory less 7.5% for the hypervisor, kube-reserved cpu in tiers and memory 11 MiB per pod + 255 MiB,
 * eviction threshold 100 Mi memory and 10% storage, max pods from the ENI limits (or 110), all
 * overridable by the node class's kubelet settings.
 */
import type { KubeletConfiguration } from '../../apis/ec2nodeclass/types.js';
import { resourceAmount } from '../../utils/quantity.js';
import type { ResourceList } from '../../utils/resources.js';
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS } from '../../utils/resources.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const VM_MEMORY_OVERHEAD_FRACTION = 0.075;
/** Pods per node where ENI limits are unknown (the kubelet default). */
export const DEFAULT_MAX_PODS = 110;
/** AL2023's root volume when the node class maps none. */
export const DEFAULT_ROOT_VOLUME_BYTES = 20 * GiB;

export interface EniLimits {
  readonly maxNetworkInterfaces: number;
  readonly ipv4PerInterface: number;
}

/** The VPC CNI's limit: each ENI's primary address is the node's, plus two host-network pods. */
export function eniLimitedPods(eni: EniLimits): number {
  return eni.maxNetworkInterfaces * (eni.ipv4PerInterface - 1) + 2;
}

/** kubelet maxPods, else the ENI limit (or 110 without one), then capped by podsPerCore × vCPUs. */
export function maxPods(vcpus: number, eni: EniLimits | undefined, kubelet: KubeletConfiguration | undefined): number {
  let pods = kubelet?.maxPods ?? (eni === undefined ? DEFAULT_MAX_PODS : eniLimitedPods(eni));
  if (kubelet?.podsPerCore !== undefined && kubelet.podsPerCore > 0) pods = Math.min(pods, kubelet.podsPerCore * vcpus);
  return pods;
}

/** Memory the node sees: the instance's less the hypervisor's 7.5% (rounded up to whole MiB). */
export function vmMemoryMiB(sizeMiB: number): number {
  return sizeMiB - Math.ceil(sizeMiB * VM_MEMORY_OVERHEAD_FRACTION);
}

/** 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% of each above. */
export function kubeReservedCpuMillis(vcpus: number): number {
  const tiers: readonly [number, number][] = [[1, 60], [1, 10], [2, 5], [Infinity, 2.5]];
  let left = vcpus;
  let millis = 0;
  for (const [cores, perCore] of tiers) {
    const n = Math.min(left, cores);
    // Truncated per tier, as Karpenter does (5 cores: 82m, not 82.5m).
    millis += Math.floor(n * perCore);
    left -= n;
    if (left <= 0) break;
  }
  return millis;
}

export const kubeReservedMemoryBytes = (pods: number): number => (11 * pods + 255) * MiB;

export interface NodeShape {
  readonly vcpus: number;
  /** As the instance type reports it (before the hypervisor's share). */
  readonly memoryMiB: number;
  readonly pods: number;
  readonly ephemeralStorageBytes: number;
  /** Extended resources (GPUs, ...), counts. */
  readonly extended?: ResourceList;
}

/** What the kubelet reports as capacity. */
export function nodeCapacity(shape: NodeShape): ResourceList {
  return {
    ...(shape.extended ?? {}),
    [CPU]: shape.vcpus * 1000,
    [MEMORY]: vmMemoryMiB(shape.memoryMiB) * MiB,
    [PODS]: shape.pods,
    [EPHEMERAL_STORAGE]: shape.ephemeralStorageBytes,
  };
}

/** An amount ("100Mi") or a percentage of `of` ("10%"). @throws RangeError for a bad quantity. */
function amountOrPercent(resource: string, text: string, of: number): number {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (percent) return (Number(percent[1]) / 100) * of;
  return resourceAmount(resource, text);
}

function reserved(list: Record<string, string> | undefined, resource: string): number | undefined {
  const v = list?.[resource];
  return v === undefined ? undefined : resourceAmount(resource, v);
}

/** The larger of the hard and soft eviction thresholds for a signal, or the default. */
function evictionThreshold(kubelet: KubeletConfiguration | undefined, signal: string, resource: string, of: number, fallback: string): number {
  const hard = kubelet?.evictionHard?.[signal];
  const soft = kubelet?.evictionSoft?.[signal];
  if (hard === undefined && soft === undefined) return amountOrPercent(resource, fallback, of);
  return Math.max(...[hard, soft].filter((v): v is string => v !== undefined).map((v) => amountOrPercent(resource, v, of)));
}

/**
 * Kube-reserved + system-reserved + eviction thresholds (capacity − overhead = allocatable).
 * kubelet.kubeReserved replaces the computed kube-reserved per resource.
 * @throws RangeError (from quantity parsing) for a malformed kubelet quantity.
 */
export function nodeOverhead(shape: NodeShape, kubelet?: KubeletConfiguration): ResourceList {
  const capacity = nodeCapacity(shape);
  const kubeCpu = reserved(kubelet?.kubeReserved, CPU) ?? kubeReservedCpuMillis(shape.vcpus);
  const kubeMemory = reserved(kubelet?.kubeReserved, MEMORY) ?? kubeReservedMemoryBytes(shape.pods);
  const kubeStorage = reserved(kubelet?.kubeReserved, EPHEMERAL_STORAGE) ?? GiB;
  return {
    [CPU]: kubeCpu + (reserved(kubelet?.systemReserved, CPU) ?? 0),
    [MEMORY]: kubeMemory + (reserved(kubelet?.systemReserved, MEMORY) ?? 0)
      + evictionThreshold(kubelet, 'memory.available', MEMORY, capacity[MEMORY]!, '100Mi'),
    [EPHEMERAL_STORAGE]: kubeStorage + (reserved(kubelet?.systemReserved, EPHEMERAL_STORAGE) ?? 0)
      + evictionThreshold(kubelet, 'nodefs.available', EPHEMERAL_STORAGE, capacity[EPHEMERAL_STORAGE]!, '10%'),
  };
}
