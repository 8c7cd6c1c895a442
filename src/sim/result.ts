/**
 * The outcome of a simulation: what `nodewright simulate --json FILE` writes, what the HTML report and
 * the terminal summary render, and what `nodewright explain` reads the decision log from.
 *
 * Units are in the field names or documented: times in seconds since the start of the scenario,
 * money in US dollars, cpu in cores, memory in GiB (2^30 bytes). Everything is plain JSON (no
 * Infinity, NaN or undefined inside arrays), so `JSON.parse(JSON.stringify(r))` is equal to `r`.
 * Apart from `replayWallSeconds`, a result depends only on the scenario and its seed.
 */

/** The strategies a scenario can be replayed with, in the order reports show them. */
export const STRATEGY_NAMES = ['nodewright', 'cluster-autoscaler'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Why a node was taken away: Karpenter's disruption reasons, spot interruptions, and CA scale-down. */
export const DISRUPTION_REASONS = ['empty', 'underutilized', 'drifted', 'expired', 'interrupted'] as const;
export type DisruptionReason = (typeof DISRUPTION_REASONS)[number];

/** What nodewright and the Cluster Autoscaler did: the first six are nodewright's, the last two the Cluster Autoscaler's. */
export const DECISION_KINDS = [
  'provision',
  'consolidate-delete',
  'consolidate-replace',
  'expire',
  'drift',
  'interruption',
  'scale-up',
  'scale-down',
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/**
 * What nodewright could not or would not do: a pod fits nowhere, a node is kept, a launch failed.
 * Kept so `explain` can say why a pod is pending or a node was not consolidated. They can repeat
 * for hours, so the log folds identical repeats into one entry ({@link DecisionEntry.repeats}).
 */
export const WHY_NOT_KINDS = ['unschedulable', 'disruption-blocked', 'launch-failed'] as const;
export type WhyNotKind = (typeof WHY_NOT_KINDS)[number];

/** Every kind a decision-log entry can have, in the order the report lists them. */
export const LOGGED_KINDS = [...DECISION_KINDS.slice(0, 6), ...WHY_NOT_KINDS, ...DECISION_KINDS.slice(6)] as const;
export type LoggedKind = DecisionKind | WhyNotKind;

/** Whether entries of this kind say why something did not happen. */
export function isWhyNot(kind: LoggedKind): kind is WhyNotKind {
  return (WHY_NOT_KINDS as readonly string[]).includes(kind);
}

/**
 * Pod wait (creation → Running) in seconds over every pod that became Running within the horizon;
 * pods still pending at the end are counted in {@link StrategyResult.pendingAtEnd} instead.
 * Percentiles are nearest-rank ({@link percentileNearestRank}); with no pods, `count` is 0 and the
 * other fields are 0.
 */
export interface WaitStats {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/** Average requested / allocatable over the run, as fractions in [0, 1] ({@link averageUtilisation}). */
export interface Utilisation {
  readonly cpu: number;
  readonly memory: number;
}

/** The cluster at one instant; samples are taken every `stepSeconds` from 0 to the horizon. */
export interface TimeSample {
  /** Seconds since the start of the scenario. */
  readonly t: number;
  /** Nodes that exist (launched, including not yet ready), of every NodePool or node group. */
  readonly nodes: number;
  /** What the nodes cost per hour at this instant, $. */
  readonly costPerHour: number;
  readonly pendingPods: number;
  readonly runningPods: number;
  /** Requests of the pods bound to nodes (pending pods are not counted), and the nodes' allocatable. */
  readonly cpuRequested: number;
  readonly cpuAllocatable: number;
  readonly memoryRequestedGiB: number;
  readonly memoryAllocatableGiB: number;
  /** The LP lower bound of the $/h needed for the pods that exist at this instant. */
  readonly lowerBoundCostPerHour: number;
}

export interface TimeSeries {
  readonly stepSeconds: number;
  /** Ordered by `t`, evenly spaced by `stepSeconds`. */
  readonly samples: readonly TimeSample[];
}

/** Use of one instance type over the run. */
export interface InstanceTypeUsage {
  readonly nodeHours: number;
  /** Of `nodeHours`, the hours on spot capacity. */
  readonly spotNodeHours: number;
  /** $ spent on this type. */
  readonly cost: number;
}

export interface DecisionDetails {
  /** Why this action, in a sentence a user can act on. */
  readonly why: string;
  /** Options that were considered and not taken, each with the reason ("m5.large: $0.096/h, 2 more nodes"). */
  readonly alternativesRejected: readonly string[];
  /** $/h of the nodes the decision touches, before and after it (absent when not meaningful). */
  readonly costPerHourBefore?: number;
  readonly costPerHourAfter?: number;
  /** Names of the nodes (or node claims) and pods involved, when the log keeps them. */
  readonly nodes?: readonly string[];
  readonly pods?: readonly string[];
  /** The NodePool the decision concerns, when it concerns one. */
  readonly nodePool?: string;
  /** For a provision: which pods went onto which NodeClaim (new) or Node (existing capacity). */
  readonly placements?: readonly Placement[];
}

/** Pods (namespace/name) planned onto one NodeClaim or Node by a provision decision. */
export interface Placement {
  readonly node: string;
  readonly pods: readonly string[];
  /** True for a NodeClaim the decision launched; false for existing or in-flight capacity. */
  readonly launched: boolean;
}

/** How many identical records one entry stands for (see {@link WHY_NOT_KINDS}). */
export interface Repeats {
  /** Records folded into this entry, itself included (≥ 2). */
  readonly count: number;
  /** Seconds since the start: the last of them (the first is the entry's `t`). */
  readonly lastT: number;
}

/** Fields every decision-log entry has. */
export interface DecisionEntry {
  /** Seconds since the start of the scenario. */
  readonly t: number;
  readonly strategy: StrategyName;
  readonly kind: LoggedKind;
  /** One line: "launched 3 × m5.xlarge (spot) for 11 pods". */
  readonly summary: string;
  readonly details: DecisionDetails;
  /** Present when identical records were folded into this one. */
  readonly repeats?: Repeats;
  /**
   * Records about the same subject, with other reasons, left out just before this one to keep the
   * log bounded (the first and the latest records of a subject are always kept).
   */
  readonly omittedBefore?: number;
}

/** An action: something was launched, removed or replaced. */
export interface Decision extends DecisionEntry {
  readonly kind: DecisionKind;
}

/** A record of what was not done, and why. */
export interface WhyNotDecision extends DecisionEntry {
  readonly kind: WhyNotKind;
}

/** Any entry of a strategy's decision log. */
export type LoggedDecision = Decision | WhyNotDecision;

/**
 * One machine of a run, as `strategies.<name>.machines` lists it (both its names, for explain). Times are seconds
 * since the start of the scenario (negative: during the warm-up).
 */
export interface MachineRecord {
  readonly nodeClaim: string;
  /** The Node it registers (or would register) as. */
  readonly node?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
  readonly zone?: string;
  /** What it is billed per hour, $. */
  readonly pricePerHour?: number;
  readonly launchedAt?: number;
  /** Its Node object was created. */
  readonly registeredAt?: number;
  /** Billed until here. */
  readonly terminatedAt?: number;
}

export interface StrategyResult {
  readonly podWaitSeconds: WaitStats;
  /** $ spent on nodes over the horizon. */
  readonly totalCost: number;
  readonly peakNodes: number;
  readonly pendingAtEnd: number;
  /** Pods evicted (by drain, consolidation or interruption). */
  readonly evictions: number;
  /** Nodes taken away, by reason; every reason is present (0 when none). */
  readonly disruptions: Readonly<Record<DisruptionReason, number>>;
  /** $ of the LP lower bound integrated over the horizon: no strategy can spend less. */
  readonly lowerBoundCost: number;
  /** Wall-clock seconds the replay took on this machine (the only non-deterministic field). */
  readonly replayWallSeconds: number;
  readonly utilisation: Utilisation;
  readonly series: TimeSeries;
  /** Instance type name → use. */
  readonly instanceTypes: Readonly<Record<string, InstanceTypeUsage>>;
  /** Ordered by `t`; every entry's `strategy` is this strategy. */
  readonly decisions: readonly LoggedDecision[];
  /** Every machine launched before the horizon (absent in results written before it existed). */
  readonly machines?: readonly MachineRecord[];
}

export interface SimulationResult {
  /** The scenario's name (from its file). */
  readonly scenario: string;
  readonly seed: number;
  readonly horizonSeconds: number;
  /** Things the reader must know, e.g. that spot prices are synthetic. */
  readonly notes: readonly string[];
  readonly strategies: { readonly [S in StrategyName]?: StrategyResult };
}

/**
 * The nearest-rank percentile: the smallest value v in `values` such that at least p% of the
 * values are ≤ v, i.e. the element of rank ⌈p/100 · n⌉ (1-based) in ascending order. It is always
 * one of the values (no interpolation); p = 100 gives the maximum. `values` need not be sorted and
 * is not modified.
 * @throws RangeError if `values` is empty, holds a non-finite number, or p is not in (0, 100].
 */
export function percentileNearestRank(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) throw new RangeError(`percentile p${p} of an empty list`);
  return nearestRank(sortedFinite(values), p);
}

/**
 * {@link WaitStats} of pod waits in seconds: nearest-rank p50, p95, p99, the maximum and the count;
 * all zero for an empty list.
 * @throws RangeError if a wait is negative or not finite.
 */
export function summariseWaits(waitSeconds: readonly number[]): WaitStats {
  if (waitSeconds.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, count: 0 };
  const sorted = sortedFinite(waitSeconds);
  if ((sorted[0] as number) < 0) throw new RangeError(`pod wait cannot be negative, got ${sorted[0]}`);
  return {
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    count: sorted.length,
  };
}

/**
 * Average utilisation over samples, weighted by capacity: Σ requested / Σ allocatable for cpu and
 * memory separately (so an hour with 100 nodes counts more than an hour with 2, as its cost does).
 * Samples with no allocatable capacity contribute nothing; with none at all the result is 0.
 */
export function averageUtilisation(samples: readonly TimeSample[]): Utilisation {
  let cpuRequested = 0;
  let cpuAllocatable = 0;
  let memRequested = 0;
  let memAllocatable = 0;
  for (const s of samples) {
    cpuRequested += s.cpuRequested;
    cpuAllocatable += s.cpuAllocatable;
    memRequested += s.memoryRequestedGiB;
    memAllocatable += s.memoryAllocatableGiB;
  }
  return {
    cpu: cpuAllocatable > 0 ? cpuRequested / cpuAllocatable : 0,
    memory: memAllocatable > 0 ? memRequested / memAllocatable : 0,
  };
}

/** A record of every disruption reason set to 0, to count into. */
export function emptyDisruptions(): Record<DisruptionReason, number> {
  return { empty: 0, underutilized: 0, drifted: 0, expired: 0, interrupted: 0 };
}

/** The strategies present in a result, in {@link STRATEGY_NAMES} order. */
export function presentStrategies(result: SimulationResult): StrategyName[] {
  return STRATEGY_NAMES.filter((s) => result.strategies[s] !== undefined);
}

function sortedFinite(values: readonly number[]): number[] {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`percentile of a list holding ${v}`);
  return [...values].sort((a, b) => a - b);
}

function nearestRank(sorted: readonly number[], p: number): number {
  // p·n is an exact integer for integer p, so the division rounds correctly and ceil is exact.
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[rank - 1] as number;
}
