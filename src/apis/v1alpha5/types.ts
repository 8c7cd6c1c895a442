/**
 * The karpenter.sh/v1alpha5 Provisioner, field for field as Karpenter core v0.32 defines it, so old
 * manifests parse unchanged. Nodewright does not run Provisioners: convert.ts turns them into
 * karpenter.sh/v1 NodePools.
 */
import type { KubeObject, NodeSelectorRequirement, ResourceQuantities, Taint } from '../core.js';

export const GROUP = 'karpenter.sh';
export const VERSION = 'v1alpha5';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Kubelet settings (a subset of the upstream KubeletConfiguration). */
export interface KubeletConfiguration {
  clusterDNS?: string[];
  /** Dropped after v1alpha5: nodes run containerd. */
  containerRuntime?: string;
  maxPods?: number;
  podsPerCore?: number;
  /** Resource name (cpu, memory, ephemeral-storage, pid) → quantity. */
  systemReserved?: ResourceQuantities;
  kubeReserved?: ResourceQuantities;
  /** Eviction signal (memory.available, nodefs.available, …) → quantity or percentage. */
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  /** Eviction signal → duration. */
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
}

/** Reference to the provider's node template (AWSNodeTemplate on AWS). */
export interface ProviderRef {
  /** Defaults to karpenter.k8s.aws/v1alpha1 on AWS. */
  apiVersion?: string;
  /** Defaults to AWSNodeTemplate on AWS. */
  kind?: string;
  name: string;
}

export interface ProvisionerSpec {
  /** Applied to every node. */
  annotations?: Record<string, string>;
  /** Layered with requirements and applied to every node. */
  labels?: Record<string, string>;
  taints?: Taint[];
  startupTaints?: Taint[];
  requirements?: NodeSelectorRequirement[];
  kubeletConfiguration?: KubeletConfiguration;
  /** Provider-specific settings inline (deprecated in favour of providerRef); exactly one of the two. */
  provider?: Record<string, unknown>;
  providerRef?: ProviderRef;
  /** Seconds a node may stay empty before deletion; unset disables emptiness deletion. */
  ttlSecondsAfterEmpty?: number;
  /** Seconds after launch when a node expires; unset disables expiry. */
  ttlSecondsUntilExpired?: number;
  limits?: { resources?: ResourceQuantities };
  /** 1–100; higher is tried first. */
  weight?: number;
  /** Mutually exclusive with ttlSecondsAfterEmpty. */
  consolidation?: { enabled?: boolean };
}

export interface Provisioner extends KubeObject {
  apiVersion?: typeof API_VERSION;
  kind?: 'Provisioner';
  spec: ProvisionerSpec;
  status?: { resources?: ResourceQuantities; lastScaleTime?: string };
}
