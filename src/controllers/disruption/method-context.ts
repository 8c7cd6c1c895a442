/**
 * What a disruption method works with in one pass, and what it reports besides its command: the
 * nodes it rejected and why, and the budgets that held candidates back.
 */
import type { DisruptionReason } from '../../apis/v1/types.js';
import type { BudgetState } from './budgets.js';
import type { ConsolidationSettings } from './consolidation.js';
import type { SimulationBase } from './simulation-base.js';
import type { Candidate, Command } from './types.js';

export interface MethodContext {
  readonly now: number;
  /** Every candidate of the pass; each method picks its own. */
  readonly candidates: readonly Candidate[];
  /** A fresh budget mapping for the reason (methods decrement `allowed` as they take nodes). */
  budgets(reason: DisruptionReason): Map<string, BudgetState>;
  /** The pass's simulation base, built on first use. */
  base(): SimulationBase;
  readonly settings: ConsolidationSettings;
  /** Wall-clock time (from the Clock) after which a search stops with what it has. */
  readonly deadline: number;
  /** Reads the Clock (for the deadline). */
  nowMs(): number;
}

/** Why a method did not take a node it considered. */
export interface NodeRejection {
  readonly node: string;
  readonly nodePool: string;
  readonly reason: string;
  /** What the node costs, USD/h, when the catalogue prices it. */
  readonly price?: number;
}

export interface MethodResult {
  readonly command: Command | undefined;
  /** Nodes the method looked at and turned down. */
  readonly rejections: readonly NodeRejection[];
  /** Budgets that kept at least one candidate out (allowed was 0 before the method took any). */
  readonly budgetBlocked: readonly BudgetState[];
  /** Whether the search was cut short by the deadline. */
  readonly timedOut: boolean;
}

/** Tracks budgets that turned candidates away. */
export class BudgetGate {
  readonly #budgets: Map<string, BudgetState>;
  readonly #blocked = new Map<string, BudgetState>();
  readonly #took = new Set<string>();
  readonly #closed = new Set<string>();

  constructor(budgets: Map<string, BudgetState>) {
    this.#budgets = budgets;
  }

  /** Takes one disruption from the candidate's pool budget; false (and noted) when none is left. */
  take(c: Candidate): boolean {
    const b = this.#budgets.get(c.nodePoolName);
    if (!b) return false;
    if (b.allowed <= 0) {
      this.#noteBlocked(b);
      return false;
    }
    b.allowed--;
    this.#took.add(b.nodePool);
    return true;
  }

  /** Whether the candidate's pool budget has room, without taking it (noted when not). */
  allows(c: Candidate): boolean {
    const b = this.#budgets.get(c.nodePoolName);
    if (b && b.allowed > 0) return true;
    if (b) this.#noteBlocked(b);
    return false;
  }

  #noteBlocked(b: BudgetState): void {
    this.#blocked.set(b.nodePool, b);
    if (!this.#took.has(b.nodePool)) this.#closed.add(b.nodePool);
  }

  /**
   * The budgets that had no room at all when the method began. One the method used up itself (a
   * budget of 1 let one node through) paces it rather than holds it back.
   */
  get closed(): BudgetState[] {
    return this.blocked.filter((b) => this.#closed.has(b.nodePool));
  }

  get blocked(): BudgetState[] {
    return [...this.#blocked.values()];
  }
}

const score = (c: Candidate): number => c.disruptionCost / Math.max(c.price ?? 0, 1e-9);
const byName = (a: Candidate, b: Candidate): number => (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0);

/** Cheapest to disrupt per dollar saved first: disruption cost ÷ price ascending (price ÷ cost descending), then by name. */
export function byDisruptionValue(a: Candidate, b: Candidate): number {
  return score(a) - score(b) || byName(a, b);
}

/**
 * Sorts `places` (of the candidates, given nearly in byDisruptionValue order) into that order by
 * moving each back past the few that should follow it: false, and `places` in no order, when that
 * takes more than `maxMoves` moves, or when two candidates compare equal or a score is NaN
 * (compares with nothing). Sorted, no two candidates compare equal, so it is the one order
 * sortByDisruptionValue gives for them too.
 */
export function resortByDisruptionValue(candidates: readonly Candidate[], places: number[], maxMoves: number): boolean {
  const scores = new Float64Array(places.length);
  let moves = 0;
  for (let i = 0; i < places.length; i++) {
    const p = places[i]!;
    const c = candidates[p]!;
    const s = score(c);
    if (s !== s) return false;
    let j = i - 1;
    for (; j >= 0; j--) {
      const t = scores[j]!;
      if (t < s) break;
      if (t === s) {
        const name = candidates[places[j]!]!.nodeName;
        if (name < c.nodeName) break;
        if (name === c.nodeName) return false;
      }
      if (++moves > maxMoves) return false;
      places[j + 1] = places[j]!;
      scores[j + 1] = t;
    }
    places[j + 1] = p;
    scores[j + 1] = s;
  }
  return true;
}

/**
 * The candidates in byDisruptionValue order, each score worked out once (a pass sorts a thousand
 * candidates twice): the scores are sorted as numbers, and candidates of one score (in the order
 * given) by name, which is the order a stable sort by byDisruptionValue gives. A NaN score, which
 * compares with nothing, leaves it to such a sort.
 */
export function sortByDisruptionValue(candidates: readonly Candidate[]): Candidate[] {
  const scores = new Float64Array(candidates.length);
  // Per score (0 and -0 are one, as they compare equal): its candidate, or its candidates in the order given.
  const byScore = new Map<number, Candidate | Candidate[]>();
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const s = score(c);
    if (s !== s) return candidates.map((x) => ({ c: x, s: score(x) })).sort((a, b) => a.s - b.s || byName(a.c, b.c)).map((x) => x.c);
    scores[i] = s;
    const same = byScore.get(s);
    if (same === undefined) byScore.set(s, c);
    else if (Array.isArray(same)) same.push(c);
    else byScore.set(s, [same, c]);
  }
  scores.sort();
  const sorted: Candidate[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (i > 0 && s === scores[i - 1]) continue;
    const same = byScore.get(s)!;
    if (Array.isArray(same)) for (const c of same.sort(byName)) sorted.push(c);
    else sorted.push(same);
  }
  return sorted;
}
