/** `explain savings`: what the consolidation decisions saved per hour, and which they were. */
import type { Decision, DecisionKind, StrategyName } from '../result.js';
import { formatDollars } from '../report/format.js';
import type { Answer } from './pod.js';
import { at, costChange } from './text.js';

/** Decisions that take capacity away to save money: nodewright's consolidation and the Cluster Autoscaler's scale-down. */
export const SAVING_KINDS: ReadonlySet<DecisionKind> = new Set(['consolidate-delete', 'consolidate-replace', 'scale-down']);

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

/** The savings as text: the total $/h, then one line per decision. Never throws. */
export function explainSavings(decisions: readonly Decision[], strategy: StrategyName): Answer {
  const s = savingsOf(decisions);
  if (s.decisions.length === 0) {
    return { matched: false, text: `no ${strategy} consolidation decisions in this run: nothing was consolidated, so nothing was saved.\n` };
  }
  const lines = [`${strategy}: ${s.decisions.length} consolidation decision(s) saved ${formatDollars(s.perHour)}/h in total (Σ cost before − after)`];
  if (s.withoutCost > 0) lines.push(`  (${s.withoutCost} of them recorded no cost and are not counted)`);
  for (const d of s.decisions) lines.push(`  ${at(d.t)}  ${d.kind}: ${costChange(d) ?? 'no cost recorded'}`, `      ${d.summary}`);
  return { matched: true, text: `${lines.join('\n')}\n` };
}
