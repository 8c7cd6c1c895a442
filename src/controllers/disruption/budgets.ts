/**
 * NodePool disruption budgets: how many more of a pool's nodes may be disrupted now for a reason.
 * The most restrictive active budget that applies to the reason wins; percentages of the pool's
 * nodes round up; nodes already being disrupted (marked, deleting, or not Ready) count against it.
 */
import type { Budget, DisruptionReason } from '../../apis/v1/types.js';
import type { StateNode } from '../../state/state-node.js';
import { isWindowActive } from '../../utils/cron.js';
import { parseDuration } from '../../utils/duration.js';
import type { PoolInfo } from './types.js';

/** What a pool's budgets allow for one reason at one moment. */
export interface BudgetState {
  readonly nodePool: string;
  readonly reason: DisruptionReason;
  /** Managed, initialised nodes of the pool (what percentages are of). */
  readonly total: number;
  /** Of those, being disrupted already (marked for deletion, deleting, or not Ready). */
  readonly disrupting: number;
  /** What the winning budget allows in all (Infinity when no budget applies now). */
  readonly limit: number;
  /** The winning budget, if any. */
  readonly budget: Budget | undefined;
  /** Further disruptions allowed now: max(limit - disrupting, 0). */
  allowed: number;
}

/**
 * Whether the budget is in force at `now`: always without a schedule, else while the window its
 * cron schedule opens (UTC) lasts. A schedule or duration that does not parse counts as active
 * (the restrictive reading; validation rejects such pools before they get here).
 */
export function isBudgetActive(budget: Budget, now: number): boolean {
  if (budget.schedule === undefined) return true;
  try {
    return isWindowActive(budget.schedule, parseDuration(budget.duration ?? ''), now);
  } catch {
    return true;
  }
}

/** The nodes a budget allows out of `total`: a count, or a percentage rounded up; garbage allows none. */
export function budgetNodes(nodes: string, total: number): number {
  const pct = /^(\d+)%$/.exec(nodes);
  if (pct) return Math.ceil((Number(pct[1]) * total) / 100);
  return /^\d+$/.test(nodes) ? Number(nodes) : 0;
}

/**
 * The most restrictive active budget for the reason (budgets without `reasons` apply to all).
 * @returns its limit and the budget, or Infinity when none applies now.
 */
export function budgetLimit(budgets: readonly Budget[], reason: DisruptionReason, total: number, now: number): { limit: number; budget: Budget | undefined } {
  let best: { limit: number; budget: Budget | undefined } = { limit: Infinity, budget: undefined };
  for (const b of budgets) {
    if (b.reasons && !b.reasons.includes(reason)) continue;
    if (!isBudgetActive(b, now)) continue;
    const limit = budgetNodes(b.nodes, total);
    if (limit < best.limit) best = { limit, budget: b };
  }
  return best;
}

function isNodeReady(node: StateNode): boolean {
  const conditions = node.node?.status?.conditions;
  if (conditions === undefined) return false;
  for (const c of conditions) if (c.type === 'Ready' && c.status === 'True') return true;
  return false;
}

/** Per pool: its managed, initialised nodes and how many of those are being disrupted already. */
export interface PoolNodeCounts {
  readonly total: ReadonlyMap<string, number>;
  readonly disrupting: ReadonlyMap<string, number>;
}

/** How a machine counts for its pool's budgets: not at all, as a node, or as a node being disrupted. */
function countOf(n: StateNode): 'none' | 'node' | 'disrupting' {
  if (!n.managed || !n.initialized || n.nodePool === undefined) return 'none';
  return n.markedForDeletion || !isNodeReady(n) ? 'disrupting' : 'node';
}

function bump(counts: Map<string, number>, pool: string, by: 1 | -1): void {
  const v = (counts.get(pool) ?? 0) + by;
  if (v === 0) counts.delete(pool);
  else counts.set(pool, v);
}

function count(total: Map<string, number>, disrupting: Map<string, number>, n: StateNode, by: 1 | -1): void {
  const c = countOf(n);
  if (c === 'none') return;
  bump(total, n.nodePool!, by);
  if (c === 'disrupting') bump(disrupting, n.nodePool!, by);
}

/**
 * The last machines counted and their counts. The cluster cache hands out the same view of a
 * machine until it changes, so the next pass's list differs from the last in a few places only.
 */
let lastCounted: { readonly nodes: readonly StateNode[]; readonly counts: PoolNodeCounts } | undefined;

/**
 * Counts every machine in the cache once; the same for every reason (see budgetsFor). The list is
 * counted from the last one counted, by the machines that differ: the two are walked side by
 * side, a view in both lines them up, and a machine gone from the list or new in it (the cache
 * drops and adds machines, keeping the others' order) only moves the walk on one side.
 */
export function poolNodeCounts(nodes: readonly StateNode[]): PoolNodeCounts {
  const was = lastCounted?.nodes ?? [];
  const total = new Map(lastCounted?.counts.total);
  const disrupting = new Map(lastCounted?.counts.disrupting);
  let i = 0;
  let j = 0;
  while (i < nodes.length || j < was.length) {
    const n = nodes[i];
    const w = was[j];
    if (n === w) {
      i++;
      j++;
    } else if (w !== undefined && n !== undefined && was[j + 1] === n) {
      count(total, disrupting, w, -1);
      j++;
    } else if (w !== undefined && n !== undefined && nodes[i + 1] === w) {
      count(total, disrupting, n, 1);
      i++;
    } else {
      if (w !== undefined) count(total, disrupting, w, -1);
      if (n !== undefined) count(total, disrupting, n, 1);
      i++;
      j++;
    }
  }
  const counts = { total, disrupting };
  lastCounted = { nodes: nodes.slice(), counts };
  return counts;
}

/** Budget state per pool for one reason, from counts of the machines (poolNodeCounts). */
export function budgetsFor(counts: PoolNodeCounts, pools: ReadonlyMap<string, PoolInfo>, reason: DisruptionReason, now: number): Map<string, BudgetState> {
  const out = new Map<string, BudgetState>();
  for (const [name, pool] of pools) {
    const t = counts.total.get(name) ?? 0;
    const d = counts.disrupting.get(name) ?? 0;
    const { limit, budget } = budgetLimit(pool.nodePool.spec.disruption.budgets, reason, t, now);
    out.set(name, { nodePool: name, reason, total: t, disrupting: d, limit, budget, allowed: Math.max(limit - d, 0) });
  }
  return out;
}

/** Budget state per pool for one reason, from every machine in the cache. */
export function budgetMapping(nodes: readonly StateNode[], pools: ReadonlyMap<string, PoolInfo>, reason: DisruptionReason, now: number): Map<string, BudgetState> {
  return budgetsFor(poolNodeCounts(nodes), pools, reason, now);
}

/** "budget nodes=10% allows 1 of 7 nodes at a time for Empty, and 1 is being disrupted now", for decision records. */
export function describeBudget(b: BudgetState): string {
  if (b.budget === undefined) return `no budget limits ${b.reason} disruptions now`;
  const window = b.budget.schedule ? ` (window ${b.budget.schedule} for ${b.budget.duration ?? '?'})` : '';
  return `budget nodes=${b.budget.nodes}${window} allows ${b.limit} of ${b.total} nodes at a time for ${b.reason}, and ${b.disrupting} ${b.disrupting === 1 ? 'is' : 'are'} being disrupted now`;
}
