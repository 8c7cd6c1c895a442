/**
 * The disruption controller's vocabulary: candidates (machines it may remove), replacements (the
 * NodeClaims it launches first), and commands (one decision of one method, ready to execute).
 */
import type { Pod } from '../../apis/core.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import type { DisruptionReason, NodeSelectorRequirementWithMinValues } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { InstanceTypeOption } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import type { ResourceList } from '../../utils/resources.js';
import type { DecisionKind } from '../context.js';

/** The disruption methods, in the order a pass tries them. */
export type MethodName = 'emptiness' | 'drift' | 'multi-node-consolidation' | 'single-node-consolidation';

/** A valid NodePool with its defaults applied and the instance types the cloud offers it now. */
export interface PoolInfo {
  readonly name: string;
  readonly nodePool: DefaultedNodePool;
  /** With offerings in the unavailable-offerings cache marked unavailable. */
  readonly instanceTypes: readonly InstanceType[];
  readonly typesByName: ReadonlyMap<string, InstanceType>;
}

/** A machine whose pods a simulation must place elsewhere. */
export interface LeavingNode {
  /** The Node's name (what pods are bound to and what the solver calls the node). */
  readonly nodeName: string;
  readonly claimName: string | undefined;
  readonly nodePoolName: string | undefined;
  /** Counted in its NodePool's usage until it goes (subtracted for limits in simulations). */
  readonly capacity: ResourceList;
  /** Its pods that must find a place (not DaemonSet or static pods). */
  readonly reschedulablePods: readonly Pod[];
}

/** A machine that passed every guard and may be disrupted (subject to its method and budgets). */
export interface Candidate extends LeavingNode {
  readonly claimName: string;
  readonly nodePoolName: string;
  readonly stateNode: StateNode;
  readonly pool: PoolInfo;
  readonly instanceType: string | undefined;
  readonly zone: string | undefined;
  readonly capacityType: string | undefined;
  /** USD/h of its offering; undefined when the catalogue no longer has it (not consolidatable). */
  readonly price: number | undefined;
  /** Karpenter's disruption cost: eviction costs of its pods times the remaining lifetime fraction. */
  readonly disruptionCost: number;
  /** consolidateAfter has elapsed since its last pod event (or initialisation); false for "Never". */
  readonly consolidatable: boolean;
}

/** A NodeClaim to launch before the candidates go, as the solver planned it. */
export interface Replacement {
  readonly nodePool: string;
  readonly requirements: readonly NodeSelectorRequirementWithMinValues[];
  /** Cheapest first; the instance-type requirement lists exactly these. */
  readonly instanceTypeOptions: readonly InstanceTypeOption[];
  /** Pod requests plus daemonset overhead. */
  readonly requests: ResourceList;
  /** The cheapest option's price, USD/h. */
  readonly pricePerHour: number;
  readonly pods: readonly Pod[];
}

/** An option considered and turned down, with the reason (kept on the decision record). */
export interface Rejection {
  readonly option: string;
  readonly reason: string;
}

/** One method's decision: remove these candidates, after launching these replacements. */
export interface Command {
  readonly method: MethodName;
  /** The budget reason it counts against. */
  readonly reason: DisruptionReason;
  readonly kind: Extract<DecisionKind, 'empty' | 'drift' | 'consolidate-delete' | 'consolidate-replace'>;
  readonly candidates: readonly Candidate[];
  readonly replacements: readonly Replacement[];
  /** Why, in words, for the decision record. */
  readonly why: string;
  readonly rejected: readonly Rejection[];
}

/** Sum of the candidates' prices (unknown prices count 0), USD/h. */
export function candidatesPrice(candidates: readonly Candidate[]): number {
  return candidates.reduce((sum, c) => sum + (c.price ?? 0), 0);
}

/** Sum of the replacements' prices, USD/h. */
export function replacementsPrice(replacements: readonly Replacement[]): number {
  return replacements.reduce((sum, r) => sum + r.pricePerHour, 0);
}
