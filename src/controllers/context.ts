/**
 * What every controller is built with: the clock, the Kubernetes API, the cloud, the cluster state
 * cache, the settings, a structured logger and the decision log. The composition root (operator/
 * for a real cluster, sim/ for the embedded one) builds one and hands it to each controller.
 */
import type { CloudProvider } from '../cloudprovider/cloud-provider.js';
import type { UnavailableOfferings } from '../cloudprovider/unavailable-offerings.js';
import type { KubeClient } from '../kube/types.js';
import type { ClusterState } from '../state/cluster-state.js';
import type { Clock } from '../utils/clock.js';

/** Structured logging; fields carry the NodeClaim, Node and NodePool ("nodeclaim", "node", "nodepool"). */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** A logger that adds these fields to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/** A logger that drops everything (tests, the simulator's quiet mode). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export type DecisionKind =
  | 'provision'
  | 'consolidate-delete'
  | 'consolidate-replace'
  | 'expire'
  | 'drift'
  | 'empty'
  | 'interruption'
  | 'launch-failed'
  | 'unschedulable'
  | 'disruption-blocked';

/**
 * A decision kept for explanation: what was decided, why, what was rejected and why, and the cost
 * before and after. Surfaces as an Event and a log line, and can be queried later (`explain`).
 */
export interface Decision {
  /** Epoch ms. */
  readonly time: number;
  readonly kind: DecisionKind;
  /** One line: "launched 3 NodeClaims for 24 pods", "deleted empty node ip-10-0-1-2". */
  readonly summary: string;
  /** Why this and not something else, in words. */
  readonly why: string;
  readonly alternativesRejected?: readonly { readonly option: string; readonly reason: string }[];
  readonly costPerHourBefore?: number;
  readonly costPerHourAfter?: number;
  /** NodeClaim / Node names concerned. */
  readonly nodes?: readonly string[];
  /** Pods concerned, "namespace/name". */
  readonly pods?: readonly string[];
  readonly nodePool?: string;
}

/** Where controllers record decisions. */
export interface DecisionSink {
  record(decision: Decision): void;
}

/** Settings the controllers read (parsed once by the composition root). */
export interface ControllerOptions {
  /** "scheduler": kube-scheduler binds pods (default); "direct": nodewright binds the pods it planned. */
  readonly binding: 'scheduler' | 'direct';
  /** Provisioning batch window: closes after this long without a new pod (ms). */
  readonly batchIdleMs: number;
  /** ... or after this long in total (ms). */
  readonly batchMaxMs: number;
  /** How long offerings that failed with insufficient capacity stay unavailable (ms). */
  readonly unavailableOfferingTtlMs: number;
  /** A NodeClaim whose Node has not registered after this long is deleted (ms). */
  readonly registrationTimeoutMs: number;
  /** Disruption loop period (ms). */
  readonly disruptionIntervalMs: number;
  /** Consolidation re-checks its decision after this long before acting (ms). */
  readonly consolidationValidationMs: number;
  /** Instances with no NodeClaim are deleted after this grace period (ms). */
  readonly leakedInstanceGraceMs: number;
  /** Replace spot nodes with cheaper spot nodes (Karpenter gates this off; nodewright defaults it on). */
  readonly spotToSpotConsolidation: boolean;
  /** Most new NodeClaims single-node consolidation may replace one node with (Karpenter: 1). */
  readonly consolidationMaxReplacements: number;
  /** Solve with preferences ignored (Karpenter's IgnorePreferences policy). */
  readonly ignorePreferences: boolean;
  /** The name of the cluster, for tags and the node class. */
  readonly clusterName: string;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  binding: 'scheduler',
  batchIdleMs: 1_000,
  batchMaxMs: 10_000,
  unavailableOfferingTtlMs: 3 * 60_000,
  registrationTimeoutMs: 15 * 60_000,
  disruptionIntervalMs: 10_000,
  consolidationValidationMs: 15_000,
  leakedInstanceGraceMs: 5 * 60_000,
  spotToSpotConsolidation: true,
  consolidationMaxReplacements: 3,
  ignorePreferences: false,
  clusterName: 'nodewright',
};

export interface ControllerContext {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly cloud: CloudProvider;
  readonly state: ClusterState;
  readonly options: ControllerOptions;
  readonly log: Logger;
  readonly decisions: DecisionSink;
  /**
   * Offerings marked unavailable after insufficient-capacity errors, shared by the lifecycle
   * controller (which marks them) and provisioning (which plans without them).
   */
  readonly unavailableOfferings: UnavailableOfferings;
}
