/**
 * `explain savings`: what the consolidation decisions saved per hour, and which they were; and
 * what more consolidation could save at the end of the run: the gap to the LP lower bound, and the
 * nodes still kept, with why.
 */
import type { LoggedDecision as Decision, LoggedKind, StrategyName, TimeSample } from '../result.js';
import { formatDollars } from '../report/format.js';
import { Machines, priceText } from './machines.js';
import type { Answer } from './pod.js';
import { at, costChange, since, summaryOf } from './text.js';

/** Decisions that take capacity away to save money: nodewright's consolidation and the Cluster Autoscaler's scale-down. */
export const SAVING_KINDS: ReadonlySet<LoggedKind> = new Set(['consolidate-delete', 'consolidate-replace', 'scale-down']);

export interface Savings {
  /** Σ (costPerHourBefore − costPerHourAfter) over the saving decisions that record both, $/h. */
  readonly perHour: number;
  /** The saving decisions, oldest first. */
  readonly decisions: readonly Decision[];
  /** Of them, how many have no cost before or after (not in `perHour`). */
  readonly withoutCost: number;
}

/** Sums the saving decisions of one strategy's log. Never throws. */
export function savingsOf(decisions: readonly Decision[]): Savings {
  const saving = decisions.filter((d) => SAVING_KINDS.has(d.kind));
  let perHour = 0;
  let withoutCost = 0;
  for (const d of saving) {
    const { costPerHourBefore: before, costPerHourAfter: after } = d.details;
    if (before === undefined || after === undefined) withoutCost++;
    else perHour += before - after;
  }
  return { perHour, decisions: saving, withoutCost };
}

const DISRUPTING: ReadonlySet<LoggedKind> = new Set(['consolidate-delete', 'consolidate-replace', 'expire', 'drift', 'interruption', 'scale-down']);
const MAX_KEPT_LISTED = 20;

/** A node still kept at the end: its latest disruption-blocked record, not followed by a disruption naming it. */
export interface KeptNode {
  readonly node: string;
  readonly latest: Decision;
}

/** Nodes whose latest record is a block (one node each) that no later disruption overrode, oldest block first. Never throws. */
export function keptNodes(decisions: readonly Decision[]): KeptNode[] {
  const latest = new Map<string, Decision>();
  for (const d of decisions) {
    const nodes = d.details.nodes ?? [];
    if (d.kind === 'disruption-blocked' && nodes.length === 1) latest.set(nodes[0]!, d);
    else if (DISRUPTING.has(d.kind)) for (const n of nodes) latest.delete(n);
  }
  return [...latest].map(([node, d]) => ({ node, latest: d })).sort((a, b) => a.latest.t - b.latest.t);
}

/**
 * The savings as text: the total $/h, one line per decision, then what more could be saved at
 * `end` (the last sample: its $/h above the LP lower bound) and the nodes still kept, with their
 * price when `machines` or a record gives it and their last reason. `matched` is false when nothing
 * was consolidated and nothing was kept. Never throws.
 */
export function explainSavings(decisions: readonly Decision[], strategy: StrategyName, end?: TimeSample, machines = new Machines(decisions)): Answer {
  const s = savingsOf(decisions);
  // The Cluster Autoscaler does not consolidate: it scales node groups down.
  const what = strategy === 'cluster-autoscaler' ? 'scale-down' : 'consolidation';
  const lines: string[] = [];
  if (s.decisions.length === 0) {
    lines.push(`no ${strategy} ${what} decisions in this run: nothing was ${strategy === 'cluster-autoscaler' ? 'scaled down' : 'consolidated'}, so nothing was saved.`);
  } else {
    lines.push(`${strategy}: ${s.decisions.length} ${what} decision(s) saved ${formatDollars(s.perHour)}/h in total (Σ cost before − after)`);
    if (s.withoutCost > 0) lines.push(`  (${s.withoutCost} of them recorded no cost and are not counted)`);
    for (const d of s.decisions) lines.push(`  ${at(d.t)}  ${d.kind}: ${costChange(d) ?? 'no cost recorded'}`, `      ${summaryOf(d)}`);
  }
  if (end) {
    const gap = end.costPerHour - end.lowerBoundCostPerHour;
    const head = `at the end (${at(end.t)}): the nodes cost ${formatDollars(end.costPerHour)}/h and the LP lower bound for the pods that want to run is ` +
      `${formatDollars(end.lowerBoundCostPerHour)}/h`;
    // Below the bound means pods were still pending: they need more capacity, not less.
    lines.push(gap > 1e-9
      ? `${head}, so consolidation could save at most ${formatDollars(gap)}/h more`
      : gap < -1e-9
        ? `${head}: nothing more to save by consolidation (the nodes cost less than the bound because pods were still pending, and those need more capacity, not less)`
        : `${head}: nothing more to save by consolidation`);
  }
  const kept = keptNodes(decisions);
  if (kept.length > 0) {
    const prices = kept.map((k) => machines.get(k.node)?.price?.perHour);
    const known = prices.filter((p): p is number => p !== undefined);
    const total = known.length === 0 ? '' : known.length === kept.length
      ? ` (together ${formatDollars(known.reduce((a, b) => a + b, 0))}/h)`
      : ` (the ${known.length} with a known price: ${formatDollars(known.reduce((a, b) => a + b, 0))}/h)`;
    lines.push(`${kept.length} node(s) were still kept from consolidation by their last record${total}:`);
    for (const k of kept.slice(0, MAX_KEPT_LISTED)) {
      const price = priceText(machines.get(k.node));
      lines.push(`  ${k.node}${price ? ` (${price})` : ''} kept: ${k.latest.details.why} (${since(k.latest)})`);
    }
    if (kept.length > MAX_KEPT_LISTED) lines.push(`  … and ${kept.length - MAX_KEPT_LISTED} more`);
    if (known.length < kept.length) {
      lines.push(`  (no price for ${kept.length - known.length} of them: no record gives one, and the result does not link these Nodes to ` +
        'the NodeClaims whose launch records do)');
    }
  }
  return { matched: s.decisions.length > 0 || kept.length > 0, text: `${lines.join('\n')}\n` };
}
