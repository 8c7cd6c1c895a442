/**
 * Reading names back out of a decision's words. The JSON keeps each decision's `nodes` and `pods`
 * lists but not which pod went to which NodeClaim, so the per-claim clause of a `why` ("nodeclaim
 * X (nodepool P): small at $0.03/h, …") and the node named in "fit on X" are found in the text.
 */
import type { DecisionEntry as Decision, Placement } from '../result.js';
import { formatClock, formatDollars } from '../report/format.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `name` occurs in `text` as a whole name (not inside a longer name such as "node-1" in "node-10"). */
export function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\w.-])${escapeRegExp(name)}($|[^\\w.-]|\\.(?![\\w-]))`).test(text);
}

/** The `; `-separated clauses of `why` that mention `name`; the whole `why` when none does. */
export function clausesAbout(why: string, name: string): string {
  const clauses = why.split('; ').filter((c) => mentions(c, name));
  return clauses.length > 0 ? clauses.join('; ') : why;
}

/** The rejected alternatives that mention `name`; all of them when none mentions any of the decision's nodes. */
export function alternativesAbout(d: Decision, name: string): readonly string[] {
  const alternatives = d.details.alternativesRejected;
  const own = alternatives.filter((a) => mentions(a, name));
  if (own.length > 0) return own;
  const nodes = d.details.nodes ?? [];
  return alternatives.some((a) => nodes.some((n) => mentions(a, n))) ? [] : alternatives;
}

/** The node a "placed on existing or in-flight capacity" decision names: "1 pod fit on X, so …". */
export function existingNodeOf(d: Decision): string | undefined {
  return /\bfit on ([\w.-]+?)[.,;]?(?:\s|$)/.exec(d.details.why)?.[1];
}

/** "0:30:01" for t in seconds since the start; "−0:02:00" before it (the warm-up). */
export function at(t: number): string {
  return t < 0 ? `−${formatClock(-t, true)}` : formatClock(t, true);
}

/** When an entry's records were made: "0:10:00", or "0:00:30 to 0:15:00, 4 records" for folded repeats. */
export function span(d: Decision): string {
  return d.repeats ? `${at(d.t)} to ${at(d.repeats.lastT)}, ${d.repeats.count} records` : at(d.t);
}

/** Since when a reason holds: "since 0:10:00", or "since 0:00:30, 4 records, the last at 0:15:00". */
export function since(d: Decision): string {
  return d.repeats ? `since ${at(d.t)}, ${d.repeats.count} records, the last at ${at(d.repeats.lastT)}` : `since ${at(d.t)}`;
}

/**
 * "$0.1000/h → $0.0300/h (saves $0.0700/h)", or undefined when the decision has no costs. An
 * interruption's change is forced, not a saving: "$0.3784/h, its replacement from $0.3351/h" (or
 * "no replacement launched" when its pods fit elsewhere).
 */
export function costChange(d: Decision): string | undefined {
  const { costPerHourBefore: before, costPerHourAfter: after } = d.details;
  if (before === undefined || after === undefined) return undefined;
  if (d.kind === 'interruption') {
    return `${formatDollars(before)}/h, ${after > 0 ? `its replacement from ${formatDollars(after)}/h` : 'no replacement launched'}`;
  }
  const delta = before - after;
  const effect = Math.abs(delta) < 1e-9 ? 'no change' : delta > 0 ? `saves ${formatDollars(delta)}/h` : `adds ${formatDollars(-delta)}/h`;
  return `${formatDollars(before)}/h → ${formatDollars(after)}/h (${effect})`;
}

/** The summary without a leading "KIND: " (the Cluster Autoscaler's "scale-up: …"), where the kind is printed beside it. */
export function summaryOf(d: Decision): string {
  return d.summary.startsWith(`${d.kind}: `) ? d.summary.slice(d.kind.length + 2) : d.summary;
}

/** Indented lines of rejected alternatives, or none. */
export function alternativeLines(alternatives: readonly string[], indent: string): string[] {
  if (alternatives.length === 0) return [];
  return [`${indent}alternatives rejected:`, ...alternatives.map((a) => `${indent}  - ${a}`)];
}

/** "0:01:00", or "0:01:00 (×3, last at 0:05:00)" for an entry that stands for repeated records. */
export function when(d: Decision): string {
  return d.repeats ? `${at(d.t)} (×${d.repeats.count}, last at ${at(d.repeats.lastT)})` : at(d.t);
}

/** When the entry's records end: the last repeat, or its own time. */
export function lastTime(d: Decision): number {
  return d.repeats?.lastT ?? d.t;
}

/** The placement of a decision that holds `pod`, when the decision keeps placements. */
export function placementOf(d: Decision, pod: string): Placement | undefined {
  return d.details.placements?.find((p) => p.pods.includes(pod));
}

/** A note for entries that had other records about the same subject left out before them. */
export function omittedLine(d: Decision, indent: string): string[] {
  return d.omittedBefore ? [`${indent}(${d.omittedBefore} earlier record(s) with other reasons left out to keep the log small)`] : [];
}
