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
import type { DoNotDisruptWindow, PdbHitList, PdbVerdicts } from './blockers.js';
import { doNotDisruptWindow, holdsAt } from './blockers.js';
import type { Lifetime } from './disruption-cost.js';
import { fractionLeftOf, lifetimeOf, reschedulingCost } from './disruption-cost.js';
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
 * read their labels, filter and price their pods and parse their times again; and what follows
 * from the view and the pass's pools, budgets and time, kept while those hold.
 */
interface ViewFacts {
  readonly node: StateNode;
  /** Left out of both lists for a transient reason: unmanaged, not initialised, leaving, nominated. */
  readonly skipped: boolean;
  readonly instanceType: string | undefined;
  readonly zone: string | undefined;
  readonly capacityType: string | undefined;
  /** Its pods that must find a place, and what evicting them costs. */
  readonly reschedulable: Pod[];
  readonly cost: number;
  readonly stableSince: number;
  readonly life: Lifetime | undefined;
  /** The pools epoch `pool` was looked up in (an epoch names one set of pools entries); 0 for never. */
  poolsEpoch: number;
  pool: PoolInfo | undefined;
  /**
   * What follows from the pool it was last priced in (pools are the same objects while
   * unchanged): its price, and when its consolidateAfter has elapsed (Infinity: never).
   */
  pricedIn: PoolInfo | undefined;
  price: number | undefined;
  consolidatableAt: number;
  /** Its do-not-disrupt answer, while the window holds. */
  dnd: DoNotDisruptWindow | undefined;
  /** Which budgets select its pods (PdbVerdicts.hitsOf tells whether it still holds). */
  pdbHits: PdbHitList | undefined;
  /** The budget verdict and the verdicts' epoch it was given in (0: none yet). */
  pdbEpoch: number;
  pdbReason: string | undefined;
}

const viewFacts = new WeakMap<StateNode, ViewFacts>();

/**
 * Per pod list (a view's pods are the same list until the machine's pods change, through view
 * changes for other reasons): the pods that must move, one array per list for the simulations.
 */
const podListFacts = new WeakMap<readonly Pod[], Pick<ViewFacts, 'reschedulable' | 'cost'>>();

const isSkipped = (node: StateNode): boolean =>
  !node.managed || !node.initialized || node.markedForDeletion || node.disrupted
  || node.nodeName === undefined || node.nodeClaimName === undefined || node.nominatedUntil !== undefined;

function factsOf(node: StateNode): ViewFacts {
  let f = viewFacts.get(node);
  if (f === undefined) {
    let pods = podListFacts.get(node.pods);
    if (pods === undefined) {
      const reschedulable = node.pods.filter(isReschedulable);
      podListFacts.set(node.pods, (pods = { reschedulable, cost: reschedulingCost(reschedulable) }));
    }
    viewFacts.set(node, (f = {
      node, skipped: isSkipped(node),
      instanceType: node.labels[INSTANCE_TYPE_LABEL], zone: node.labels[ZONE_LABEL], capacityType: node.labels[CAPACITY_TYPE_LABEL],
      reschedulable: pods.reschedulable, cost: pods.cost, stableSince: computeStableSince(node),
      life: node.nodeClaim && lifetimeOf(node.nodeClaim), poolsEpoch: 0, pool: undefined,
      pricedIn: undefined, price: undefined, consolidatableAt: Infinity, dnd: undefined, pdbHits: undefined, pdbEpoch: 0, pdbReason: undefined,
    }));
  }
  return f;
}

/** The price of the machine's offering in the pool's catalogue (USD/h), if it has it. */
function priceIn(f: ViewFacts, pool: PoolInfo): number | undefined {
  if (f.pricedIn !== pool) {
    f.price = findOffering(pool, f.instanceType, f.zone, f.capacityType)?.price;
    f.consolidatableAt = f.stableSince + consolidateAfterOf(pool);
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

/** The pool's consolidateAfter in ms ("Never" and unparsable: Infinity). */
function consolidateAfterOf(pool: PoolInfo): number {
  const text = pool.nodePool.spec.disruption.consolidateAfter;
  let after = consolidateAfterMs.get(text);
  if (after === undefined) {
    try {
      after = parseDuration(text, { allowNever: true });
    } catch {
      after = Infinity;
    }
    consolidateAfterMs.set(text, after);
  }
  return after;
}

function blockedNode(f: ViewFacts, pool: PoolInfo | undefined, reason: string): BlockedNode {
  return { node: f.node.nodeName!, nodePool: f.node.nodePool, reason, price: pool && priceIn(f, pool) };
}

/** Pools epochs handed out so far: an epoch names one set of pools entries, whichever scanner saw it. */
let epochs = 0;

function sameEntries(a: ReadonlyMap<string, PoolInfo>, b: ReadonlyMap<string, PoolInfo>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, pool] of b) if (a.get(name) !== pool) return false;
  return true;
}

/** The machine's pool in the pass's pools (epoch `epoch`), looked up once per epoch. */
function poolOf(f: ViewFacts, pools: ReadonlyMap<string, PoolInfo>, epoch: number): PoolInfo | undefined {
  if (f.poolsEpoch !== epoch) {
    const name = f.node.nodePool;
    f.pool = name === undefined ? undefined : pools.get(name);
    f.poolsEpoch = epoch;
  }
  return f.pool;
}

/** Why do-not-disrupt blocks the machine at `now`, worked out again only when its window has passed. */
function dndReason(f: ViewFacts, now: number): string | undefined {
  let w = f.dnd;
  if (w === undefined || !holdsAt(w, now)) f.dnd = w = doNotDisruptWindow(f.node, now);
  return w.reason;
}

/** Why budgets block the machine, worked out again only when the verdicts' epoch moved. */
function pdbReason(f: ViewFacts, pdbs: PdbVerdicts): string | undefined {
  if (f.pdbEpoch !== pdbs.epoch) {
    f.pdbHits = pdbs.hitsOf(f.node.pods, f.pdbHits);
    f.pdbReason = pdbs.reasonIn(f.pdbHits);
    f.pdbEpoch = pdbs.epoch;
  }
  return f.pdbReason;
}

/**
 * The numbers a candidate's fields that follow the time come from, kept per place in a scan's list:
 * since when its do-not-disrupt answer (none) holds, when consolidateAfter elapses, its pods'
 * eviction cost and its claim's lifetime (Infinity and NaN without a claim: fraction 1). The answer
 * holds from then on: a candidate's pods protect it at no time ahead (protections only lapse).
 */
const ROW = 5;
const FROM = 0;
const CONSOLIDATABLE_AT = 1;
const COST = 2;
const LIFETIME = 3;
const CREATED = 4;

/** How far past its place in the last list the walk looks for a view before asking its facts. */
const LOOKAHEAD = 16;

/**
 * What one scan made of its list, by place: the views, their facts, the candidates (undefined for
 * the others) with their numbers (ROW per place), and the epochs of the pools and budget verdicts.
 */
class ScanRecord {
  readonly views: StateNode[] = [];
  readonly facts: ViewFacts[] = [];
  readonly kept: (Candidate | undefined)[] = [];
  rows = new Float64Array(0);
  poolsEpoch = 0;
  pdbEpoch = 0;

  /** Starts a record of `n` places (every place is written before it is read). */
  reset(n: number, poolsEpoch: number, pdbEpoch: number): void {
    this.views.length = this.facts.length = this.kept.length = n;
    if (this.rows.length < n * ROW) this.rows = new Float64Array(Math.ceil(n * 1.25) * ROW);
    this.poolsEpoch = poolsEpoch;
    this.pdbEpoch = pdbEpoch;
  }
}

/**
 * The view's place in the last list, else -1: `from` or up to LOOKAHEAD places after it (the cache
 * drops and adds machines keeping the others' order), else anywhere when a scan knew the view (a
 * longer run of machines gone, or a list in another order).
 */
function placeOf(views: readonly StateNode[], node: StateNode, from: number): number {
  const end = Math.min(views.length, from + LOOKAHEAD + 1);
  for (let k = from; k < end; k++) if (views[k] === node) return k;
  return viewFacts.has(node) ? views.indexOf(node) : -1;
}

/** Copies the numbers of one place (ROW) from `from` at r to `to` at t. */
function copyRow(from: Float64Array, r: number, to: Float64Array, t: number): void {
  for (let k = 0; k < ROW; k++) to[t + k] = from[r + k]!;
}

/**
 * A candidate, made in one place so that every candidate has one shape: its fields but the two
 * that follow the time are `k`'s (the last scan's candidate for the view, or one of its fields'
 * values), the others come from its numbers (rows at r).
 */
function candidate(k: Omit<Candidate, 'disruptionCost' | 'consolidatable'>, rows: Float64Array, r: number, now: number): Candidate {
  return {
    nodeName: k.nodeName,
    claimName: k.claimName,
    nodePoolName: k.nodePoolName,
    capacity: k.capacity,
    reschedulablePods: k.reschedulablePods,
    stateNode: k.stateNode,
    pool: k.pool,
    instanceType: k.instanceType,
    zone: k.zone,
    capacityType: k.capacityType,
    price: k.price,
    disruptionCost: rows[r + COST]! * fractionLeftOf(rows[r + LIFETIME]!, rows[r + CREATED]!, now),
    consolidatable: now >= rows[r + CONSOLIDATABLE_AT]!,
  };
}

/**
 * Sorts machines into candidates and blocked ones, pass after pass, carrying what it learnt: the
 * last scan's record in list order (the next list has the same view at most places, so it finds
 * them without a lookup by view) and the last pools' epoch. A view that was a candidate in the last
 * scan is one again under the same pools and budget verdicts (epochs), unless the time is before
 * its do-not-disrupt answer was worked out: with the same fields but the two that follow the time,
 * which its record's numbers give. Such a place reads neither the view nor its facts.
 */
export class CandidateScanner {
  /** The last scan's record, and the one the next scan writes (the one before the last, reused). */
  #last = new ScanRecord();
  #spare = new ScanRecord();
  /** The entries of the last pools map scanned with (a copy) and their epoch. */
  #lastPools: { readonly pools: ReadonlyMap<string, PoolInfo>; readonly epoch: number } | undefined;

  /** See scanCandidates. */
  scan(nodes: readonly StateNode[], pools: ReadonlyMap<string, PoolInfo>, pdbs: PdbVerdicts, now: number): CandidateScan {
    const candidates: Candidate[] = [];
    const blocked: BlockedNode[] = [];
    const epoch = this.#poolsEpoch(pools);
    const last = this.#last;
    const next = this.#spare;
    next.reset(nodes.length, epoch, pdbs.epoch);
    const { views, facts, kept, rows } = last;
    const carry = last.poolsEpoch === epoch && last.pdbEpoch === pdbs.epoch;
    // Where the last scan's list is, beside this one. The cache drops and adds machines keeping
    // the others' order, so a view not at its place is nearly always a new one, or one a few places on.
    let j = 0;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const at = placeOf(views, node, j);
      let f: ViewFacts;
      let c: Candidate | undefined;
      if (at >= 0) {
        j = at + 1;
        f = facts[at]!;
        const k = carry ? kept[at] : undefined;
        const r = at * ROW;
        if (k !== undefined && now >= rows[r + FROM]!) {
          c = candidate(k, rows, r, now);
          copyRow(rows, r, next.rows, i * ROW);
        }
      } else {
        f = factsOf(node);
        if (nodes[i + 1] !== views[j]) j++; // a new view in views[j]'s place, not one more before it
      }
      c ??= sortOut(f, pools, epoch, pdbs, now, blocked, next.rows, i * ROW);
      next.views[i] = node;
      next.facts[i] = f;
      next.kept[i] = c;
      if (c !== undefined) candidates.push(c);
    }
    this.#last = next;
    this.#spare = last;
    last.kept.length = 0; // the candidates of the scan before this one: not kept alive
    return { candidates, blocked };
  }

  /** The epoch of the pools' entries: the last one while they are the same, else a new one. */
  #poolsEpoch(pools: ReadonlyMap<string, PoolInfo>): number {
    if (this.#lastPools === undefined || !sameEntries(this.#lastPools.pools, pools)) this.#lastPools = { pools: new Map(pools), epoch: ++epochs };
    return this.#lastPools.epoch;
  }
}

/**
 * The machine's candidate, worked out from its facts (its numbers written to rows at r), or
 * undefined: skipped, or blocked (then in `blocked`).
 */
function sortOut(
  f: ViewFacts, pools: ReadonlyMap<string, PoolInfo>, epoch: number, pdbs: PdbVerdicts, now: number,
  blocked: BlockedNode[], rows: Float64Array, r: number,
): Candidate | undefined {
  if (f.skipped) return undefined;
  const node = f.node;
  const pool = poolOf(f, pools, epoch);
  if (!pool) {
    blocked.push(blockedNode(f, pool, node.nodePool === undefined ? 'it has no karpenter.sh/nodepool label' : `its NodePool ${node.nodePool} does not exist or is invalid`));
    return undefined;
  }
  const dnd = dndReason(f, now);
  if (dnd) {
    blocked.push(blockedNode(f, pool, dnd));
    return undefined;
  }
  const pdb = pdbReason(f, pdbs);
  if (pdb) {
    blocked.push(blockedNode(f, pool, pdb));
    return undefined;
  }
  const price = priceIn(f, pool);
  rows[r + FROM] = f.dnd!.at;
  rows[r + CONSOLIDATABLE_AT] = f.consolidatableAt;
  rows[r + COST] = f.cost;
  rows[r + LIFETIME] = f.life?.lifetime ?? Infinity;
  rows[r + CREATED] = f.life?.created ?? NaN;
  return candidate({
    nodeName: node.nodeName!, claimName: node.nodeClaimName!, nodePoolName: pool.name, capacity: node.capacity,
    reschedulablePods: f.reschedulable, stateNode: node, pool, instanceType: f.instanceType, zone: f.zone,
    capacityType: f.capacityType, price,
  }, rows, r, now);
}

const scanner = new CandidateScanner();

/**
 * Sorts every machine into candidates and blocked ones. Machines skipped for transient reasons
 * (not initialised, deleting, nominated, unmanaged) are in neither list. Passes share one
 * CandidateScanner, so what a pass learnt of a view serves the next.
 */
export function scanCandidates(
  nodes: readonly StateNode[],
  pools: ReadonlyMap<string, PoolInfo>,
  pdbs: PdbVerdicts,
  now: number,
): CandidateScan {
  return scanner.scan(nodes, pools, pdbs, now);
}
