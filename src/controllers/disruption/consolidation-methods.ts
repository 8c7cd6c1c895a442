/**
 * The two consolidation methods. Both consider candidates of WhenEmptyOrUnderutilized pools that
 * have pods and have been stable for consolidateAfter, cheapest to disrupt per dollar first, within
 * the Underutilized budgets (empty nodes are emptiness's business).
 *
 * Multi-node: the first (at most 100) candidates the budgets allow; all of them if they can be
 * deleted or replaced by one cheaper node together, else binary search for the longest prefix that
 * can (at least two nodes).
 * Single-node: walk the candidates, first one that can be deleted or replaced wins.
 * Both stop at their deadline with what they have (Karpenter: 1 and 3 minutes).
 */
import type { ConsolidationOutcome, Detail } from './consolidation.js';
import { computeConsolidation } from './consolidation.js';
import type { MethodContext, MethodResult, NodeRejection } from './method-context.js';
import { BudgetGate, resortByDisruptionValue, sortByDisruptionValue } from './method-context.js';
import type { Candidate, PoolInfo, Rejection } from './types.js';

/** Most candidates multi-node consolidation looks at in one pass. */
export const MAX_MULTI_NODE_CANDIDATES = 100;

/** Whether the pool lets consolidation take its underused nodes (not only its empty ones). */
function consolidatesUnderused(pool: PoolInfo): boolean {
  return pool.nodePool.spec.disruption.consolidationPolicy === 'WhenEmptyOrUnderutilized';
}

/** Whether consolidation (as opposed to emptiness) may take the candidate now. */
export function isConsolidationCandidate(c: Candidate): boolean {
  return c.consolidatable && c.reschedulablePods.length > 0 && c.price !== undefined && consolidatesUnderused(c.pool);
}

/** How many places on from where the last match left off a machine is looked for in the last list. */
const LOOKAHEAD = 8;

/** Moves per candidate past which resorting the last order gives way to a full sort. */
const MAX_MOVES_PER_CANDIDATE = 4;

/** The consolidation candidates of a list, and each one's place in the last list ordered (-1: not in it). */
interface Taken {
  readonly list: Candidate[];
  readonly names: string[];
  /** Per rank of the last order: the place in `list` of its machine, or -1. */
  readonly byRank: Int32Array;
  /** Places in `list` of machines not matched in the last list, in list order. */
  readonly fresh: number[];
}

/**
 * Orders consolidation candidates pass after pass: once per candidate list (both methods walk one
 * pass's), starting from the last order. Passes list mostly the same machines in the same order
 * (the cache drops and adds machines keeping the others' order), valued nearly alike, so the last
 * order's ranks give nearly the next order; only a hint: resortByDisruptionValue sorts what they
 * give, and a full sort takes over when that is not quick. The one who runs passes keeps one.
 */
export class ConsolidationOrder {
  /** Per candidate list (one per pass): its consolidation candidates in byDisruptionValue order. */
  readonly #orders = new WeakMap<readonly Candidate[], readonly Candidate[]>();
  /** The last list ordered: its node names in list order, and each place's rank in its order. */
  #names: readonly string[] = [];
  #ranks = new Uint32Array(0);

  /**
   * The candidates consolidation may take (isConsolidationCandidate), cheapest to disrupt per
   * dollar first (byDisruptionValue); the same array for the same list.
   */
  of(candidates: readonly Candidate[]): readonly Candidate[] {
    let order = this.#orders.get(candidates);
    if (!order) this.#orders.set(candidates, (order = this.#order(this.#take(candidates))));
    return order;
  }

  /**
   * The candidates isConsolidationCandidate takes, in the order given (a pool's policy read once
   * per run of its candidates), each matched with the last list's machine of its name when that
   * is at most LOOKAHEAD places on from the last match.
   */
  #take(candidates: readonly Candidate[]): Taken {
    const last = this.#names;
    const ranks = this.#ranks;
    const list: Candidate[] = [];
    const names: string[] = [];
    const byRank = new Int32Array(last.length).fill(-1);
    const fresh: number[] = [];
    let pool: PoolInfo | undefined;
    let poolConsolidates = false;
    let j = 0;
    for (const c of candidates) {
      if (!c.consolidatable || c.reschedulablePods.length === 0 || c.price === undefined) continue;
      if (c.pool !== pool) {
        pool = c.pool;
        poolConsolidates = consolidatesUnderused(pool);
      }
      if (!poolConsolidates) continue;
      const i = list.length;
      const name = c.nodeName;
      list.push(c);
      names.push(name);
      const end = Math.min(last.length, j + LOOKAHEAD + 1);
      let at = j;
      while (at < end && last[at] !== name) at++;
      if (at === end) fresh.push(i);
      else {
        byRank[ranks[at]!] = i;
        j = at + 1;
      }
    }
    return { list, names, byRank, fresh };
  }

  /** The list in byDisruptionValue order: the last order resorted when that is quick, else sorted in full. */
  #order({ list, names, byRank, fresh }: Taken): readonly Candidate[] {
    // Every place of the list once: those of machines in the last list in its order, then the others.
    let places: number[] = [];
    for (const p of byRank) if (p >= 0) places.push(p);
    for (const p of fresh) places.push(p);
    if (!resortByDisruptionValue(list, places, MAX_MOVES_PER_CANDIDATE * list.length)) {
      const placeOf = new Map<Candidate, number>();
      list.forEach((c, i) => placeOf.set(c, i));
      places = sortByDisruptionValue(list).map((c) => placeOf.get(c)!);
    }
    const ranks = new Uint32Array(list.length);
    const order: Candidate[] = [];
    for (let rank = 0; rank < places.length; rank++) {
      const p = places[rank]!;
      ranks[p] = rank;
      order.push(list[p]!);
    }
    this.#names = names;
    this.#ranks = ranks;
    return order;
  }
}

/**
 * Multi-node consolidation (see the module's comment); `order` is the ConsolidationOrder the caller
 * keeps from pass to pass.
 */
export function multiNodeConsolidation(mc: MethodContext, order: ConsolidationOrder, maxCandidates = MAX_MULTI_NODE_CANDIDATES): MethodResult {
  const gate = new BudgetGate(mc.budgets('Underutilized'));
  const allowed: Candidate[] = [];
  for (const c of order.of(mc.candidates)) {
    if (allowed.length >= maxCandidates) break;
    if (gate.take(c)) allowed.push(c);
  }
  // The search's path depends only on which attempts succeed: they run as verdicts (a simulation
  // may stop once the answer is certain), and those that stopped run again in full for their
  // reasons only when a command carries them.
  const failed: { readonly n: number; readonly outcome: ConsolidationOutcome & { decision: 'none' } }[] = [];
  const consolidate = (n: number, detail: Detail): ConsolidationOutcome =>
    computeConsolidation(mc.base(), allowed.slice(0, n), 'multi-node-consolidation', mc.settings, [], detail);
  const rejectedAttempts = (): Rejection[] => failed.map(({ n, outcome }) => {
    const full = outcome.stopped ? consolidate(n, 'reason') : outcome;
    if (full.decision !== 'none') throw new Error(`multi-node consolidation: the first ${n} candidates failed as a verdict but not in full`);
    const names = allowed.slice(0, Math.min(n, 3)).map((c) => c.nodeName).join(', ');
    return { option: `consolidate the first ${n} candidates (${names}${n > 3 ? ', …' : ''})`, reason: full.reason };
  });
  const result = (outcome: ConsolidationOutcome | undefined, timedOut: boolean): MethodResult => ({
    command: outcome && outcome.decision !== 'none' ? { ...outcome.command, rejected: rejectedAttempts() } : undefined,
    // A budget of 1 stops multi-node consolidation short of two nodes every pass; single-node goes on.
    rejections: [], budgetBlocked: gate.closed, timedOut,
  });
  if (allowed.length < 2) return result(undefined, false);
  const attempt = (n: number): ConsolidationOutcome => {
    const outcome = consolidate(n, 'verdict');
    if (outcome.decision === 'none') failed.push({ n, outcome });
    return outcome;
  };
  // Every allowed candidate at once first: when that works (many underused nodes) one simulation
  // answers what the search would reach after about log2(n).
  const all = attempt(allowed.length);
  if (all.decision !== 'none') return result(all, false);
  let best: ConsolidationOutcome | undefined;
  // Then Karpenter's binary search over prefix lengths 2..n-1 (lo and hi are lengths minus one).
  let lo = 1;
  let hi = allowed.length - 2;
  while (lo <= hi) {
    if (mc.nowMs() > mc.deadline) return result(best, true);
    const mid = Math.floor((lo + hi) / 2);
    const outcome = attempt(mid + 1);
    if (outcome.decision === 'none') hi = mid - 1;
    else {
      best = outcome;
      lo = mid + 1;
    }
  }
  return result(best, false);
}

/** Verdicts kept from earlier passes: why a candidate could not be consolidated, while that still holds. */
export interface VerdictMemo {
  get(c: Candidate): string | undefined;
  set(c: Candidate, reason: string): void;
}

/**
 * Walks the candidates; the first that can be deleted or replaced wins. `known` holds why
 * candidates could not be consolidated, as far as the caller knows that still holds: they are not
 * simulated again, and new verdicts are added. `order` is as for multiNodeConsolidation.
 */
export function singleNodeConsolidation(mc: MethodContext, order: ConsolidationOrder, known?: VerdictMemo): MethodResult {
  const gate = new BudgetGate(mc.budgets('Underutilized'));
  const rejections: NodeRejection[] = [];
  const rejected: Rejection[] = [];
  for (const c of order.of(mc.candidates)) {
    if (!gate.allows(c)) continue;
    if (mc.nowMs() > mc.deadline) return { command: undefined, rejections, budgetBlocked: gate.blocked, timedOut: true };
    const seen = known?.get(c);
    const outcome: ConsolidationOutcome = seen !== undefined ? { decision: 'none', reason: seen }
      : computeConsolidation(mc.base(), [c], 'single-node-consolidation', mc.settings);
    if (outcome.decision !== 'none') {
      return { command: { ...outcome.command, rejected }, rejections, budgetBlocked: gate.blocked, timedOut: false };
    }
    if (seen === undefined) known?.set(c, outcome.reason);
    rejections.push({ node: c.nodeName, nodePool: c.nodePoolName, reason: outcome.reason, price: c.price });
    if (rejected.length < 10) rejected.push({ option: `consolidate ${c.nodeName}`, reason: outcome.reason });
  }
  return { command: undefined, rejections, budgetBlocked: gate.blocked, timedOut: false };
}
