/**
 * Which machines may be disrupted at all, and why the others may not. A candidate is managed (has
 * a NodeClaim), initialised, not deleting or marked, not nominated for pending pods, in a valid
 * NodePool, without do-not-disrupt on it or its pods, and every pod evictable under its
 * PodDisruptionBudgets. Each method then narrows the candidates further (empty, drifted, ...).
 */
import type { Pod } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { isReschedulable } from '../../state/pod-predicates.js';
import type { StateNode } from '../../state/state-node.js';
import { parseDuration } from '../../utils/duration.js';
import type { PdbVerdicts } from './blockers.js';
import { doNotDisruptReasonOf } from './blockers.js';
import { lifetimeRemaining, reschedulingCost } from './disruption-cost.js';
import { findOffering } from './pools.js';
import type { Candidate, PoolInfo } from './types.js';

/** A machine that is not a candidate for a reason worth telling the user. */
export interface BlockedNode {
  readonly node: string;
  readonly nodePool: string | undefined;
  readonly reason: string;
  /** What the machine costs, USD/h, when its pool's catalogue prices it. */
  readonly price?: number;
}

export interface CandidateScan {
  readonly candidates: Candidate[];
  readonly blocked: BlockedNode[];
}

const time = (text: string | undefined): number | undefined => {
  const ms = Date.parse(text ?? '');
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * What a scan reads from one machine view, worked out once per view (the cache hands out the same
 * view until the machine, its pods or its notes change), so a pass over 1,000 machines does not
 * read their labels, filter and price their pods and parse their times again.
 */
interface ViewFacts {
  readonly instanceType: string | undefined;
  readonly zone: string | undefined;
  readonly capacityType: string | undefined;
  /** Its pods that must find a place, and what evicting them costs. */
  readonly reschedulable: Pod[];
  readonly cost: number;
  readonly stableSince: number;
  /** The pool its price was looked up in (pools are the same objects while unchanged), and the price. */
  pricedIn: PoolInfo | undefined;
  price: number | undefined;
}

const viewFacts = new WeakMap<StateNode, ViewFacts>();

/**
 * Per pod list (a view's pods are the same list until the machine's pods change, through view
 * changes for other reasons): the pods that must move, one array per list for the simulations.
 */
const podListFacts = new WeakMap<readonly Pod[], Pick<ViewFacts, 'reschedulable' | 'cost'>>();

function factsOf(node: StateNode): ViewFacts {
  let f = viewFacts.get(node);
  if (f === undefined) {
    let pods = podListFacts.get(node.pods);
    if (pods === undefined) {
      const reschedulable = node.pods.filter(isReschedulable);
      podListFacts.set(node.pods, (pods = { reschedulable, cost: reschedulingCost(reschedulable) }));
    }
    viewFacts.set(node, (f = {
      instanceType: node.labels[INSTANCE_TYPE_LABEL], zone: node.labels[ZONE_LABEL], capacityType: node.labels[CAPACITY_TYPE_LABEL],
      reschedulable: pods.reschedulable, cost: pods.cost, stableSince: computeStableSince(node), pricedIn: undefined, price: undefined,
    }));
  }
  return f;
}

/** The price of the machine's offering in the pool's catalogue (USD/h), if it has it. */
function priceIn(f: ViewFacts, pool: PoolInfo): number | undefined {
  if (f.pricedIn !== pool) {
    f.price = findOffering(pool, f.instanceType, f.zone, f.capacityType)?.price;
    f.pricedIn = pool;
  }
  return f.price;
}

/**
 * Since when the node has been stable: its last pod event as the cache or the NodeClaim saw it,
 * else its initialisation (the Initialized condition's transition, else the Node's creation).
 */
export function stableSince(node: StateNode): number {
  return factsOf(node).stableSince;
}

function computeStableSince(node: StateNode): number {
  const claim = node.nodeClaim;
  const initialized = claim?.status?.conditions?.find((c) => c.type === ConditionTypes.Initialized && c.status === 'True');
  const candidates = [
    node.lastPodEventMs,
    time(claim?.status?.lastPodEventTime),
    time(initialized?.lastTransitionTime),
    time(node.node?.metadata.creationTimestamp),
  ].filter((t): t is number => t !== undefined);
  return candidates.length > 0 ? Math.max(...candidates) : -Infinity;
}

/** consolidateAfter in ms per text (Infinity for "Never" and for what does not parse): a handful of distinct values. */
const consolidateAfterMs = new Map<string, number>();

/** Whether consolidateAfter has elapsed since `stable` ("Never": never; unparsable: never). */
function elapsedSince(stable: number, consolidateAfter: string, now: number): boolean {
  let after = consolidateAfterMs.get(consolidateAfter);
  if (after === undefined) {
    try {
      after = parseDuration(consolidateAfter, { allowNever: true });
    } catch {
      after = Infinity;
    }
    consolidateAfterMs.set(consolidateAfter, after);
  }
  return after !== Infinity && now >= stable + after;
}

function blockedNode(node: StateNode, pool: PoolInfo | undefined, reason: string): BlockedNode {
  return { node: node.nodeName!, nodePool: node.nodePool, reason, price: pool && priceIn(factsOf(node), pool) };
}

/**
 * Sorts every machine into candidates and blocked ones. Machines skipped for transient reasons
 * (not initialised, deleting, nominated, unmanaged) are in neither list.
 */
export function scanCandidates(
  nodes: readonly StateNode[],
  pools: ReadonlyMap<string, PoolInfo>,
  pdbs: PdbVerdicts,
  now: number,
): CandidateScan {
  const candidates: Candidate[] = [];
  const blocked: BlockedNode[] = [];
  for (const node of nodes) {
    if (!node.managed || !node.initialized || node.markedForDeletion || node.disrupted) continue;
    if (node.nodeName === undefined || node.nodeClaimName === undefined) continue;
    if (node.nominatedUntil !== undefined) continue;
    const pool = node.nodePool === undefined ? undefined : pools.get(node.nodePool);
    if (!pool) {
      blocked.push(blockedNode(node, pool, node.nodePool === undefined ? 'it has no karpenter.sh/nodepool label' : `its NodePool ${node.nodePool} does not exist or is invalid`));
      continue;
    }
    const dnd = doNotDisruptReasonOf(node, now);
    if (dnd) {
      blocked.push(blockedNode(node, pool, dnd));
      continue;
    }
    const pdb = pdbs.reasonFor(node.pods);
    if (pdb) {
      blocked.push(blockedNode(node, pool, pdb));
      continue;
    }
    const facts = factsOf(node);
    candidates.push({
      nodeName: node.nodeName,
      claimName: node.nodeClaimName,
      nodePoolName: pool.name,
      capacity: node.capacity,
      reschedulablePods: facts.reschedulable,
      stateNode: node,
      pool,
      instanceType: facts.instanceType,
      zone: facts.zone,
      capacityType: facts.capacityType,
      price: priceIn(facts, pool),
      disruptionCost: facts.cost * lifetimeRemaining(node.nodeClaim, now),
      consolidatable: elapsedSince(facts.stableSince, pool.nodePool.spec.disruption.consolidateAfter, now),
    });
  }
  return { candidates, blocked };
}
