/**
 * The report's non-chart sections as HTML fragments: headline figures, the comparison table, the
 * instance-type mix and utilisation. Every piece of text is escaped here.
 */
import type { SimulationResult, StrategyName, StrategyResult } from '../result.js';
import { presentStrategies } from '../result.js';
import { escapeHtml } from './escape.js';
import { formatDollars, formatNumber, formatPercent } from './format.js';
import type { ComparisonRow } from './metrics.js';
import { comparisonRows } from './metrics.js';

/** Display colour of each strategy, shared by charts, badges and bars. */
export const STRATEGY_COLORS: Readonly<Record<StrategyName, string>> = {
  nodewright: '#0e7490',
  'cluster-autoscaler': '#c2410c',
};

/** A strategy's name as a coloured badge. */
export function strategyBadge(name: StrategyName): string {
  return `<span class="badge strategy-${escapeHtml(name)}">${escapeHtml(name)}</span>`;
}

const HEADLINES: readonly string[] = ['Total cost', 'Pod wait p95', 'Peak nodes', 'CPU utilisation'];

/** Headline cards (cost, p95 wait, peak nodes, utilisation) for the strategies present. */
export function renderHeadlines(rows: readonly ComparisonRow[], strategies: readonly StrategyName[]): string {
  const cards = HEADLINES.map((label) => rows.find((row) => row.label === label)).filter((row) => row !== undefined).map((row) => {
    const values = strategies.map((s) => `<div class="kpi-value${row.better === s ? ' better' : ''}">`
      + `<span class="kpi-strategy">${escapeHtml(s)}</span><span class="kpi-number">${escapeHtml(row.values[s] ?? '')}</span></div>`).join('');
    const diff = row.difference === undefined ? '' : `<div class="kpi-diff ${diffClass(row)}">${escapeHtml(row.difference)}</div>`;
    return `<div class="kpi"><div class="kpi-label">${escapeHtml(row.label)}</div>${values}${diff}</div>`;
  });
  return `<section class="kpis" aria-label="headline figures">${cards.join('')}</section>`;
}

/** The comparison table: one row per metric, one column per strategy, then the difference. */
export function renderComparison(result: SimulationResult): string {
  const strategies = presentStrategies(result);
  const both = strategies.length === 2;
  const rows = comparisonRows(result);
  const head = `<tr><th scope="col">Metric</th>${strategies.map((s) => `<th scope="col" class="num">${strategyBadge(s)}</th>`).join('')}`
    + `${both ? '<th scope="col" class="num">Difference<br><small>nodewright − cluster-autoscaler</small></th>' : ''}</tr>`;
  let group = '';
  const body = rows.map((row) => {
    const starts = row.group !== group;
    group = row.group;
    const cells = strategies.map((s) => `<td class="num${row.better === s ? ' better' : ''}">${escapeHtml(row.values[s] ?? '')}</td>`).join('');
    const diff = both ? `<td class="num diff ${diffClass(row)}">${escapeHtml(row.difference ?? '')}</td>` : '';
    return `<tr${starts ? ' class="group-start"' : ''}><th scope="row">${escapeHtml(row.label)}</th>${cells}${diff}</tr>`;
  }).join('');
  return `<table class="comparison" id="comparison"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function diffClass(row: ComparisonRow): string {
  if (row.better === undefined) return 'neutral';
  return row.better === 'nodewright' ? 'good' : 'bad';
}

/** Per strategy, the instance types used, by cost, with node-hours, spot share and a share bar. */
export function renderInstanceMix(result: SimulationResult): string {
  return presentStrategies(result).map((name) => {
    const s = result.strategies[name] as StrategyResult;
    const types = Object.entries(s.instanceTypes).sort(([a, x], [b, y]) => y.cost - x.cost || a.localeCompare(b));
    const total = types.reduce((sum, [, u]) => sum + u.cost, 0);
    const rows = types.map(([type, u]) => {
      const share = total > 0 ? u.cost / total : 0;
      const spot = u.nodeHours > 0 ? u.spotNodeHours / u.nodeHours : 0;
      return `<tr><th scope="row"><code>${escapeHtml(type)}</code></th><td class="num">${formatNumber(u.nodeHours, 1)}</td>`
        + `<td class="num">${formatPercent(spot, 0)}</td><td class="num">${escapeHtml(formatDollars(u.cost))}</td>`
        + `<td class="bar-cell"><span class="bar" style="width:${(share * 100).toFixed(1)}%;background:${STRATEGY_COLORS[name]}"></span></td></tr>`;
    }).join('');
    const empty = types.length === 0 ? '<tr><td colspan="5" class="muted">No nodes were launched.</td></tr>' : '';
    return `<div class="card mix" data-strategy="${escapeHtml(name)}"><h3>${strategyBadge(name)}</h3>`
      + '<table><thead><tr><th scope="col">Instance type</th><th scope="col" class="num">Node-hours</th><th scope="col" class="num">Spot</th>'
      + `<th scope="col" class="num">Cost</th><th scope="col">Share of cost</th></tr></thead><tbody>${rows}${empty}</tbody></table></div>`;
  }).join('');
}

/** Per strategy, average cpu and memory utilisation as labelled bars. */
export function renderUtilisation(result: SimulationResult): string {
  const bars = presentStrategies(result).map((name) => {
    const u = (result.strategies[name] as StrategyResult).utilisation;
    const bar = (label: string, v: number): string => `<div class="util-row"><span class="util-label">${label}</span>`
      + `<span class="util-track"><span class="bar" style="width:${(Math.min(1, Math.max(0, v)) * 100).toFixed(1)}%;background:${STRATEGY_COLORS[name]}"></span></span>`
      + `<span class="util-value">${formatPercent(v)}</span></div>`;
    return `<div class="util" data-strategy="${escapeHtml(name)}"><h3>${strategyBadge(name)}</h3>${bar('CPU', u.cpu)}${bar('Memory', u.memory)}</div>`;
  }).join('');
  return `<div class="card utilisation"><p class="muted">Requested ÷ allocatable, averaged over the run and weighted by capacity.</p>${bars}</div>`;
}
