/**
 * karpenter.sh/v1 NodePool and NodeClaim, field for field as Karpenter v1 defines them, so a
 * Karpenter manifest parses unchanged. Shapes only: defaults live in defaults.ts, validation in
 * validation.ts.
 */
import type { Condition, KubeObject, NodeSelectorRequirement, ResourceQuantities, Taint } from '../core.js';

export const GROUP = 'karpenter.sh';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A node selector requirement with Karpenter's minValues (and Gte/Lte operators). */
export interface NodeSelectorRequirementWithMinValues extends NodeSelectorRequirement {
  minValues?: number;
}

export interface NodeClassReference {
  group: string;
  kind: string;
  name: string;
}

/** The spec shared by a NodePool's template and a NodeClaim. */
export interface NodeClaimTemplateSpec {
  taints?: Taint[];
  startupTaints?: Taint[];
  requirements: NodeSelectorRequirementWithMinValues[];
  nodeClassRef: NodeClassReference;
  /** Duration ("720h", "30m") or "Never". */
  expireAfter?: string;
  /** Duration; no default. Once elapsed, overrides PDBs and do-not-disrupt while draining. */
  terminationGracePeriod?: string;
}

export type DisruptionReason = 'Underutilized' | 'Empty' | 'Drifted';
export const DISRUPTION_REASONS: readonly DisruptionReason[] = ['Underutilized', 'Empty', 'Drifted'];

export interface Budget {
  /** A count ("5") or a percentage ("10%") of the NodePool's nodes. */
  nodes: string;
  /** Cron schedule in UTC ("0 9 * * mon-fri", "@daily"); with duration, the budget is active only then. */
  schedule?: string;
  /** How long after each schedule tick the budget is active ("8h", "30m"). */
  duration?: string;
  /** The disruption reasons this budget limits; absent means all. */
  reasons?: DisruptionReason[];
}

export type ConsolidationPolicy = 'WhenEmpty' | 'WhenEmptyOrUnderutilized';

export interface Disruption {
  consolidationPolicy?: ConsolidationPolicy;
  /** Duration or "Never". */
  consolidateAfter?: string;
  budgets?: Budget[];
}

export interface NodePoolSpec {
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: NodeClaimTemplateSpec;
  };
  disruption?: Disruption;
  /** Resource limits over all nodes of the pool: cpu, memory, nodes, or any resource. */
  limits?: ResourceQuantities;
  /** 1–100; higher is tried first. */
  weight?: number;
  /** Static pools (Karpenter 1.6+): a fixed replica count. Read but not acted on by the solver. */
  replicas?: number;
}

export interface NodePoolStatus {
  resources?: ResourceQuantities;
  nodeClassObservedGeneration?: number;
  nodes?: number;
  conditions?: Condition[];
}

export interface NodePool extends KubeObject {
  apiVersion?: typeof API_VERSION;
  kind?: 'NodePool';
  spec: NodePoolSpec;
  status?: NodePoolStatus;
}

export interface NodeClaimSpec extends NodeClaimTemplateSpec {
  resources?: { requests?: ResourceQuantities };
}

export interface NodeClaimStatus {
  nodeName?: string;
  providerID?: string;
  imageID?: string;
  capacity?: ResourceQuantities;
  allocatable?: ResourceQuantities;
  conditions?: Condition[];
  lastPodEventTime?: string;
}

export interface NodeClaim extends KubeObject {
  apiVersion?: typeof API_VERSION;
  kind?: 'NodeClaim';
  spec: NodeClaimSpec;
  status?: NodeClaimStatus;
}

/** NodeClaim condition types. */
export const ConditionTypes = {
  Launched: 'Launched',
  Registered: 'Registered',
  Initialized: 'Initialized',
  Ready: 'Ready',
  Consolidatable: 'Consolidatable',
  Drifted: 'Drifted',
  Drained: 'Drained',
  VolumesDetached: 'VolumesDetached',
  InstanceTerminating: 'InstanceTerminating',
  DisruptionReason: 'DisruptionReason',
  /** NodePool: the spec is valid and the node class is ready. */
  ValidationSucceeded: 'ValidationSucceeded',
  NodeClassReady: 'NodeClassReady',
} as const;
