/**
 * The comparison of strategies, row by row: one definition shared by the HTML report's table and
 * the terminal summary, so both always show the same figures formatted the same way.
 */
import type { DisruptionReason, SimulationResult, StrategyName, StrategyResult } from '../result.js';
import { DISRUPTION_REASONS, presentStrategies } from '../result.js';
import { formatDollars, formatNumber, formatPercent, formatSeconds, signed } from './format.js';

/** Which way is better for a metric; neutral metrics get a difference but no winner. */
export type Direction = 'lower' | 'higher' | 'neutral';

export interface ComparisonRow {
  readonly label: string;
  /** Formatted value per strategy present; "—" where the metric does not apply (no pods started). */
  readonly values: Readonly<Partial<Record<StrategyName, string>>>;
  /** nodewright − cluster-autoscaler, formatted, when both strategies have a value. */
  readonly difference?: string;
  /** The strategy doing better on this row, when both have a value, they differ and it matters. */
  readonly better?: StrategyName;
  /** Rows of one group are drawn together (the HTML table separates groups). */
  readonly group: 'wait' | 'cost' | 'nodes' | 'disruption' | 'run';
}

interface Metric {
  readonly label: string;
  readonly group: ComparisonRow['group'];
  readonly direction: Direction;
  /** undefined: not applicable for this strategy. */
  readonly get: (s: StrategyResult) => number | undefined;
  readonly format: (v: number) => string;
  /** Formats |difference|; defaults to `format`. */
  readonly formatDelta?: (v: number) => string;
  /** Add the relative difference against the Cluster Autoscaler ("−66%"). */
  readonly relative: boolean;
  /** Leave the row out when every strategy has 0. */
  readonly hideWhenZero?: boolean;
}

/** Shown where a value does not apply. */
export const NOT_APPLICABLE = '—';

const count = (v: number): string => formatNumber(v, 0);
const points = (v: number): string => `${formatNumber(v * 100, 1)} pts`;

function wait(label: string, key: 'p50' | 'p95' | 'p99' | 'max'): Metric {
  return {
    label, group: 'wait', direction: 'lower', relative: true, format: formatSeconds,
    get: (s) => (s.podWaitSeconds.count > 0 ? s.podWaitSeconds[key] : undefined),
  };
}

function disruption(reason: DisruptionReason): Metric {
  return { label: `Disruptions: ${reason}`, group: 'disruption', direction: 'neutral', relative: false, hideWhenZero: true, format: count, get: (s) => s.disruptions[reason] };
}

const METRICS: readonly Metric[] = [
  wait('Pod wait p50', 'p50'),
  wait('Pod wait p95', 'p95'),
  wait('Pod wait p99', 'p99'),
  wait('Pod wait max', 'max'),
  { label: 'Pods started', group: 'wait', direction: 'neutral', relative: false, format: count, get: (s) => s.podWaitSeconds.count },
  { label: 'Pods pending at end', group: 'wait', direction: 'lower', relative: false, format: count, get: (s) => s.pendingAtEnd },
  { label: 'Total cost', group: 'cost', direction: 'lower', relative: true, format: formatDollars, get: (s) => s.totalCost },
  { label: 'Lower bound (LP)', group: 'cost', direction: 'neutral', relative: false, format: formatDollars, get: (s) => s.lowerBoundCost },
  {
    label: 'Cost above lower bound', group: 'cost', direction: 'lower', relative: false, format: (v) => formatPercent(v, 0), formatDelta: (v) => `${formatNumber(v * 100, 0)} pts`,
    get: (s) => (s.lowerBoundCost > 0 ? s.totalCost / s.lowerBoundCost - 1 : undefined),
  },
  { label: 'Peak nodes', group: 'nodes', direction: 'lower', relative: true, format: count, get: (s) => s.peakNodes },
  { label: 'CPU utilisation', group: 'nodes', direction: 'higher', relative: false, format: (v) => formatPercent(v), formatDelta: points, get: (s) => s.utilisation.cpu },
  { label: 'Memory utilisation', group: 'nodes', direction: 'higher', relative: false, format: (v) => formatPercent(v), formatDelta: points, get: (s) => s.utilisation.memory },
  { label: 'Evictions', group: 'disruption', direction: 'lower', relative: false, format: count, get: (s) => s.evictions },
  ...DISRUPTION_REASONS.map(disruption),
  { label: 'Replay wall time', group: 'run', direction: 'neutral', relative: false, format: (v) => `${formatNumber(v, 2)} s`, get: (s) => s.replayWallSeconds },
];

/**
 * The rows comparing the strategies present in `result`. Disruption reasons that are zero for
 * every strategy are left out; everything else is always present, in a fixed order.
 */
export function comparisonRows(result: SimulationResult): ComparisonRow[] {
  const strategies = presentStrategies(result);
  const rows: ComparisonRow[] = [];
  for (const metric of METRICS) {
    const raw = new Map<StrategyName, number | undefined>(strategies.map((name) => [name, metric.get(result.strategies[name] as StrategyResult)]));
    if (metric.hideWhenZero === true && [...raw.values()].every((v) => !v)) continue;
    const values: Partial<Record<StrategyName, string>> = {};
    for (const [name, v] of raw) values[name] = v === undefined ? NOT_APPLICABLE : metric.format(v);
    rows.push({ label: metric.label, group: metric.group, values, ...compare(metric, raw.get('nodewright'), raw.get('cluster-autoscaler')) });
  }
  return rows;
}

function compare(metric: Metric, nw: number | undefined, ca: number | undefined): Pick<ComparisonRow, 'difference' | 'better'> {
  if (nw === undefined || ca === undefined) return {};
  const delta = nw - ca;
  let difference = signed(delta, metric.formatDelta ?? metric.format);
  if (metric.relative && ca !== 0 && delta !== 0) difference += ` (${signed(delta / ca, (v) => formatPercent(v, 0))})`;
  if (metric.direction === 'neutral' || delta === 0) return { difference };
  const nwBetter = metric.direction === 'lower' ? delta < 0 : delta > 0;
  return { difference, better: nwBetter ? 'nodewright' : 'cluster-autoscaler' };
}
