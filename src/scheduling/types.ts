/**
 * The solver's input and output. The solver is pure: everything it needs is in SolverInput, and
 * it never throws for a bad pod (that pod gets an error in `unschedulable`).
 */
import type {
  DaemonSet,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  StorageClass,
} from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import type { NodeWithPods } from '../apis/workloads.js';
import type { InstanceType, Offering } from '../cloudprovider/types.js';
import type { ResourceList } from '../utils/resources.js';
import type { NodeSubset } from './node-base.js';

export interface SolverNodePool {
  /** A NodePool with defaults applied; invalid pools are left out by the caller. */
  readonly nodePool: NodePool;
  /** The instance types the cloud offers this pool (before the pool's requirements filter them). */
  readonly instanceTypes: readonly InstanceType[];
  /** Resources already provisioned by this pool (cpu, memory, nodes, …), counted against its limits. */
  readonly usage?: ResourceList;
}

/**
 * A node that exists (or a NodeClaim in flight that will become one): a node with its pods (the
 * shape apis/workloads.ts builds from manifests), which use its resources and count for topology.
 * `unschedulable` (being disrupted or deleted) keeps new pods off while its pods still count.
 */
export interface SolverNode extends NodeWithPods {
  /** A NodeClaim launched but not yet a Ready node; tried after the initialised nodes. */
  readonly inFlight?: boolean;
}

export interface SolverVolumes {
  readonly persistentVolumes?: readonly PersistentVolume[];
  readonly persistentVolumeClaims?: readonly PersistentVolumeClaim[];
  readonly storageClasses?: readonly StorageClass[];
}

export interface SolverOptions {
  /** Treat preferences (preferred affinity, ScheduleAnyway spread) as absent, as Karpenter's IgnorePreferences policy. */
  readonly ignorePreferences?: boolean;
  /** Most instance types kept per new NodeClaim, cheapest first (Karpenter keeps 600). */
  readonly maxInstanceTypes?: number;
  /** Spend extra effort on a cheaper packing of pods without inter-pod constraints (default true). */
  readonly optimizeCost?: boolean;
}

export interface SolverInput {
  /** Pending pods to place. */
  readonly pods: readonly Pod[];
  /** NodePools to launch from, any order (the solver orders them by weight, then name). */
  readonly nodePools: readonly SolverNodePool[];
  readonly nodes?: readonly SolverNode[];
  /**
   * Instead of `nodes` (ignored when this is given): some nodes of a prepared NodeBase, for callers
   * that solve over subsets of the same nodes many times (a disruption pass's simulations). The
   * solve is the one `nodes` holding those nodes, in base order, gives; what the solver derives
   * from the nodes is derived once per base instead of once per solve.
   */
  readonly nodeSubset?: NodeSubset;
  /** DaemonSets whose pods will run on every new node they tolerate and select: reserved on new NodeClaims. */
  readonly daemonSets?: readonly DaemonSet[];
  readonly volumes?: SolverVolumes;
  readonly options?: SolverOptions;
  /**
   * Ends the solve as soon as it places a pod on an existing node and this answers true for the
   * pair: for callers whose answer is already settled by such a placement (a disruption simulation
   * is a "no" once a leaving machine's pod lands on a machine not initialised yet). The result then
   * names the placement in `stopped` and holds only what was decided before it.
   */
  readonly stopWhenPlaced?: (pod: Pod, nodeName: string) => boolean;
  /**
   * Ends the solve as soon as more than `most` new claims each hold a pod `pods` answers true for:
   * for callers whose answer is "no" with that many (a consolidation replaces with at most one
   * node). The full solve could not answer otherwise: a claim never loses a pod, and finalising
   * either plans a claim with all its pods or reports them all unschedulable. The result then
   * names the pod that joined the claim over the count in `stopped` (`claims` true, `node` that
   * claim's placeholder hostname) and holds only what was decided before it, no claims.
   */
  readonly stopWhenClaimed?: { readonly pods: (pod: Pod) => boolean; readonly most: number };
}

/** An instance type kept for a new NodeClaim, with the offerings still compatible with it. */
export interface InstanceTypeOption {
  readonly instanceType: InstanceType;
  /** Available offerings compatible with the claim's zone and capacity-type requirements, cheapest first. */
  readonly offerings: readonly Offering[];
  /** The cheapest of `offerings`. */
  readonly price: number;
}

export interface PlannedNodeClaim {
  /** A placeholder hostname, unique in the result ("hostname-placeholder-0001"). */
  readonly hostname: string;
  readonly nodePool: string;
  /** The claim's requirements as node selector expressions (NodePool requirements narrowed by its pods). */
  readonly requirements: readonly { key: string; operator: string; values?: string[]; minValues?: number }[];
  /** Compatible instance types, cheapest first (at most maxInstanceTypes). */
  readonly instanceTypeOptions: readonly InstanceTypeOption[];
  readonly pods: readonly Pod[];
  /** Requests of the pods plus the daemonset overhead. */
  readonly requests: ResourceList;
  /** Daemonset pods expected on this node (their requests are in `requests`). */
  readonly daemonSetOverhead: ResourceList;
  /** The cheapest option's price in USD per hour. */
  readonly pricePerHour: number;
}

export interface ExistingNodePlacement {
  readonly node: string;
  readonly pods: readonly Pod[];
}

export interface UnschedulablePod {
  readonly pod: Pod;
  /** Why, in words a user can act on. */
  readonly reason: string;
}

export interface SolverResult {
  readonly newNodeClaims: readonly PlannedNodeClaim[];
  readonly existingNodes: readonly ExistingNodePlacement[];
  readonly unschedulable: readonly UnschedulablePod[];
  /** Sum of the new NodeClaims' cheapest prices. */
  readonly totalPricePerHour: number;
  /**
   * The placement that ended the solve early, by SolverInput.stopWhenPlaced or (`claims` true)
   * stopWhenClaimed; the rest was not placed.
   */
  readonly stopped?: { readonly pod: Pod; readonly node: string; readonly claims: boolean };
}
