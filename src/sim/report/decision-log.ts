/**
 * The decision log section: every strategy's decisions merged by time in one table, each row
 * expandable to its reasons, with filter buttons (strategy, kind) and a search box that the
 * report's inline script wires up. Without the script the full table still reads.
 */
import type { LoggedDecision as Decision, LoggedKind, SimulationResult, StrategyResult } from '../result.js';
import { isWhyNot, LOGGED_KINDS, presentStrategies } from '../result.js';
import { escapeHtml } from './escape.js';
import { formatClock, formatDollars, signed } from './format.js';
import { strategyBadge } from './sections.js';

/** Above this many decisions only the first ones (by time) are drawn; the JSON has them all. */
export const MAX_LOGGED_DECISIONS = 5000;
/**
 * Of those, at most this many are why-not records (unschedulable, disruption-blocked,
 * launch-failed), so a run with many pending pods still shows its actions.
 */
export const MAX_LOGGED_WHY_NOT = 1000;

/** The first decisions (by time) to draw: at most MAX_LOGGED_WHY_NOT why-not records, MAX_LOGGED_DECISIONS in all. */
function firstShown(all: readonly Decision[]): Decision[] {
  const shown: Decision[] = [];
  let whyNot = 0;
  for (const d of all) {
    if (shown.length >= MAX_LOGGED_DECISIONS) break;
    if (isWhyNot(d.kind) && ++whyNot > MAX_LOGGED_WHY_NOT) continue;
    shown.push(d);
  }
  return shown;
}

/**
 * The log section's inner HTML: filters, count, table. Rows carry `data-strategy` and `data-kind`.
 * Decisions are ordered by time, then by strategy order, stably.
 */
export function renderDecisionLog(result: SimulationResult): string {
  const strategies = presentStrategies(result);
  const all = strategies
    .flatMap((s, rank) => (result.strategies[s] as StrategyResult).decisions.map((d, i) => ({ d, rank, i })))
    .sort((a, b) => a.d.t - b.d.t || a.rank - b.rank || a.i - b.i)
    .map(({ d }) => d);
  const shown = firstShown(all);
  const kinds = LOGGED_KINDS.filter((k) => all.some((d) => d.kind === k));

  const button = (value: string, label: string, pressed: boolean): string =>
    `<button type="button" data-value="${escapeHtml(value)}" aria-pressed="${pressed}">${label}</button>`;
  const filters = '<div class="filters">'
    + `<div class="filter-group" data-filter="strategy" role="group" aria-label="Filter by strategy">${button('all', 'All strategies', true)}`
    + `${strategies.map((s) => button(s, escapeHtml(s), false)).join('')}</div>`
    + `<div class="filter-group" data-filter="kind" role="group" aria-label="Filter by kind">${button('all', 'All kinds', true)}`
    + `${kinds.map((k) => button(k, escapeHtml(k), false)).join('')}</div>`
    + '<input type="search" id="log-search" placeholder="Search decisions…" aria-label="Search decisions">'
    + '</div>';
  const truncated = all.length > shown.length
    ? `<p class="notice">The log has ${all.length} decisions; the first ${shown.length} are shown here`
      + `${shown.length < Math.min(all.length, MAX_LOGGED_DECISIONS) ? ` (at most ${MAX_LOGGED_WHY_NOT} records of what was not done)` : ''}.`
      + ' The JSON output (<code>--json</code>) has them all.</p>'
    : '';
  const rows = shown.map(renderRow).join('');
  const empty = `<p class="muted" id="log-empty"${shown.length === 0 ? '' : ' hidden'}>No decisions match.</p>`;
  return `${filters}<p class="log-count" id="log-count" aria-live="polite">Showing ${shown.length} of ${shown.length} decisions</p>${truncated}`
    + '<table class="log" id="decision-log"><thead><tr><th scope="col">Time</th><th scope="col">Strategy</th><th scope="col">Kind</th>'
    + `<th scope="col">Decision</th></tr></thead><tbody>${rows}</tbody></table>${empty}`;
}

function renderRow(d: Decision): string {
  const { details } = d;
  const parts = [`<p><strong>Why:</strong> ${escapeHtml(details.why)}</p>`];
  if (d.repeats) parts.push(`<p><strong>Repeated:</strong> ${d.repeats.count} times, the last at ${formatClock(d.repeats.lastT, true)}</p>`);
  if (d.omittedBefore) parts.push(`<p class="muted">${d.omittedBefore} earlier record(s) with other reasons left out.</p>`);
  if (details.alternativesRejected.length > 0) {
    parts.push(`<p><strong>Alternatives rejected:</strong></p><ul>${details.alternativesRejected.map((a) => `<li>${escapeHtml(a)}</li>`).join('')}</ul>`);
  }
  if (details.costPerHourBefore !== undefined && details.costPerHourAfter !== undefined) {
    const before = details.costPerHourBefore;
    const after = details.costPerHourAfter;
    const delta = after - before;
    // One precision for the whole line, so "$0.27/h → $2.90/h" compares at a glance.
    const dollars = (v: number): string => formatDollars(v, Math.max(Math.abs(before), Math.abs(after)) < 1 ? 4 : 2);
    parts.push(`<p><strong>Cost:</strong> ${escapeHtml(dollars(before))}/h → ${escapeHtml(dollars(after))}/h`
      + ` <span class="${delta < 0 ? 'good' : delta > 0 ? 'bad' : 'neutral'}">(${escapeHtml(signed(delta, dollars))}/h)</span></p>`);
  }
  if (details.nodes !== undefined && details.nodes.length > 0) parts.push(`<p><strong>Nodes:</strong> ${names(details.nodes)}</p>`);
  if (details.pods !== undefined && details.pods.length > 0) parts.push(`<p><strong>Pods:</strong> ${names(details.pods)}</p>`);
  return `<tr data-strategy="${escapeHtml(d.strategy)}" data-kind="${escapeHtml(d.kind)}">`
    + `<td class="time">${formatClock(d.t, true)}</td><td>${strategyBadge(d.strategy)}</td><td>${kindBadge(d.kind)}</td>`
    + `<td><details><summary>${escapeHtml(d.summary)}${d.repeats ? ` <span class="muted">(×${d.repeats.count})</span>` : ''}</summary><div class="why">${parts.join('')}</div></details></td></tr>`;
}

function kindBadge(kind: LoggedKind): string {
  return `<span class="kind kind-${escapeHtml(kind)}">${escapeHtml(kind)}</span>`;
}

function names(list: readonly string[]): string {
  const shown = list.slice(0, 20).map((n) => `<code>${escapeHtml(n)}</code>`).join(', ');
  return list.length > 20 ? `${shown} and ${list.length - 20} more` : shown;
}
