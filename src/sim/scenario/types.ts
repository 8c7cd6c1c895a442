/**
 * A simulation scenario as the engine consumes it: parsed, validated, defaults applied. Every time
 * is in milliseconds from the start of the simulation (t = 0), every duration in milliseconds,
 * every resource amount in the units of utils/resources.ts (cpu millicores, bytes, counts). The
 * YAML that produces it is documented in README-format.md; parse.ts builds it.
 *
 * Guarantees of a Scenario returned by parseScenario (nothing here needs re-checking):
 * - every time is within [0, horizonMs]; every count is a non-negative safe integer;
 * - every instance type, zone, NodePool, node group and priority class a field names exists;
 * - NodePools passed validateNodePool and carry Karpenter's defaults (withDefaults);
 * - lists keep the order of the file; names are unique within their kind (and namespace).
 */
import type { Labels, PodDisruptionBudget, PodTemplateSpec, Taint } from '../../apis/core.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import type { CapacityType, InstanceType } from '../../cloudprovider/types.js';
import type { Seed } from '../../utils/random.js';

export interface Scenario {
  readonly name: string;
  /** Free text: what the scenario models and why ('' when absent). */
  readonly description: string;
  /** The file it was read from (as given to parseScenario), for messages and reports. */
  readonly file: string;
  /** Seeds every random choice of a run: same seed, same result. */
  readonly seed: Seed;
  /** Length of the simulation. */
  readonly horizonMs: number;
  /** Wall-clock time of t = 0 (UTC, ms since the epoch): for cron disruption budgets and reports. */
  readonly startEpochMs: number;
  readonly cluster: ClusterSpec;
  readonly clusterAutoscaler: ClusterAutoscalerSpec;
  readonly workload: WorkloadSpec;
}

/** A random duration; sampled with the run's seeded Random (see distribution.ts). */
export type Distribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  /** Uniform in [minMs, maxMs]. */
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** exp(N(ln medianMs, sigma²)): positive, right-skewed, half the draws below medianMs. */
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number };

/** Where the instance types came from; `ClusterSpec.instanceTypes` holds the result. */
export type CatalogSource =
  | { readonly kind: 'aws'; readonly families?: readonly string[]; readonly categories?: readonly string[] }
  | { readonly kind: 'karpenter-bench'; readonly count: number }
  | { readonly kind: 'kwok' }
  | { readonly kind: 'synthetic' };

export interface ClusterSpec {
  readonly catalog: CatalogSource;
  /**
   * The simulated cloud's instance types: only offerings in `zones` are kept, types left with no
   * offering are dropped. Shared with nothing else; the engine may hand them to the sim cloud as is.
   */
  readonly instanceTypes: readonly InstanceType[];
  /** The zones the cloud offers, in file order (also the order "spread" volumes follow). */
  readonly zones: readonly string[];
  readonly nodePools: readonly DefaultedNodePool[];
  /** From the cloud's create call to a running instance. */
  readonly launchDelay: Distribution;
  /** From a running instance to a registered, Ready Node. */
  readonly registrationDelay: Distribution;
  /** From a pod bound to a Ready node to the pod Running (the kubelet stand-in). */
  readonly podStartDelay: Distribution;
  readonly interruptions: InterruptionSpec;
  readonly insufficientCapacity: readonly CapacityWindow[];
  /** Nodes that exist at t = 0, one entry per node. */
  readonly initialNodes: readonly InitialNode[];
}

export interface InterruptionSpec {
  /** Spot interruptions per running spot instance-hour (a Poisson rate); 0 for none. */
  readonly spotRatePerInstanceHour: number;
  /** Warning given before the instance is reclaimed (EC2 gives 2 minutes). */
  readonly noticeMs: number;
  readonly scheduled: readonly ScheduledInterruption[];
}

/**
 * At `atMs`, `count` running instances matching the filters (chosen with the seeded Random) get an
 * interruption warning; fewer if fewer match, none if none do.
 */
export interface ScheduledInterruption {
  readonly atMs: number;
  readonly count: number;
  readonly capacityType: CapacityType;
  /** Glob ("m5.*") over instance type names; undefined for any type. */
  readonly instanceTypePattern?: string;
  /** The names the pattern matched in the catalogue (all types when no pattern). */
  readonly instanceTypes: readonly string[];
  /** Undefined for any zone. */
  readonly zone?: string;
}

/** Launches of matching offerings fail with insufficient capacity from `fromMs` until `untilMs`. */
export interface CapacityWindow {
  /** Glob ("c5.*", "*") over instance type names, as written. */
  readonly instanceTypePattern: string;
  /** The catalogue's types the pattern matches (never empty). */
  readonly instanceTypes: readonly string[];
  /** Undefined for every zone. */
  readonly zone?: string;
  /** Undefined for every capacity type. */
  readonly capacityType?: CapacityType;
  readonly fromMs: number;
  readonly untilMs: number;
}

export interface InitialNode {
  /** Unique among initial nodes: `<group name>-<index>`. */
  readonly name: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** The NodePool that owns it under nodewright; undefined for an unmanaged node. */
  readonly nodePool?: string;
  /** The node group it belongs to under the Cluster Autoscaler; undefined for an unmanaged node. */
  readonly nodeGroup?: string;
  readonly labels: Labels;
  readonly taints: readonly Taint[];
}

export interface ClusterAutoscalerSpec {
  /** True when the file declared no node groups and they were derived from the NodePools. */
  readonly derived: boolean;
  readonly nodeGroups: readonly NodeGroupSpec[];
}

/** An Auto Scaling Group as the Cluster Autoscaler sees it. */
export interface NodeGroupSpec {
  readonly name: string;
  /** At least one; the first is the template the Cluster Autoscaler simulates with. */
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  /** Zones the group may launch in, each offering `instanceTypes[0]` with `capacityType`. */
  readonly zones: readonly string[];
  readonly capacityType: CapacityType;
  /** Labels and taints on every node of the group (the launch template's kubelet flags). */
  readonly labels: Labels;
  readonly taints: readonly Taint[];
}

export interface WorkloadSpec {
  readonly priorityClasses: readonly PriorityClassSpec[];
  readonly deployments: readonly DeploymentSpec[];
  readonly statefulSets: readonly StatefulSetSpec[];
  readonly jobs: readonly JobSpec[];
  readonly daemonSets: readonly DaemonSetSpec[];
  /** Ready to create as they are (namespace set, selector and one of minAvailable/maxUnavailable). */
  readonly podDisruptionBudgets: readonly PodDisruptionBudget[];
}

export interface PriorityClassSpec {
  readonly name: string;
  readonly value: number;
  readonly preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  readonly globalDefault: boolean;
}

/**
 * Pod templates are complete: one container "app" with the requests (and limits), labels (at
 * least `app: <workload name>` when the file gave none), and `priority` resolved from
 * `priorityClassName` (or the global default class).
 */
interface Workload {
  readonly name: string;
  readonly namespace: string;
  readonly template: PodTemplateSpec;
}

export interface DeploymentSpec extends Workload {
  readonly replicas: ReplicaSchedule;
}

/** How many replicas a deployment wants over time (see replicas.ts to evaluate it). */
export type ReplicaSchedule =
  /** `count` from `atMs` until the next step; 0 before the first. Steps are strictly increasing in time. */
  | { readonly kind: 'steps'; readonly steps: readonly ReplicaStep[] }
  /**
   * A day-like wave sampled every `stepMs` from t = 0: min + (max − min)·(1 + cos(2π(t − peakMs)/periodMs))/2,
   * rounded; max at peakMs (and every period after), min half a period away.
   */
  | { readonly kind: 'diurnal'; readonly min: number; readonly max: number; readonly periodMs: number; readonly peakMs: number; readonly stepMs: number };

export interface ReplicaStep {
  readonly atMs: number;
  readonly count: number;
}

export interface StatefulSetSpec extends Workload {
  readonly replicas: number;
  /** When the StatefulSet is created. */
  readonly startMs: number;
  /** One PersistentVolume per ordinal, bound to a zone: volumeZones[i] is the zone of ordinal i. */
  readonly volumeZones: readonly string[];
  /** Bytes per volume. */
  readonly volumeSize: number;
}

export interface JobSpec extends Workload {
  readonly startMs: number;
  readonly parallelism: number;
  readonly completions: number;
  /** How long each pod runs once Running. */
  readonly podDuration: Distribution;
}

export type DaemonSetSpec = Workload;
