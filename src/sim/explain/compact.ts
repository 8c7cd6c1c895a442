/**
 * Keeping a result's decision log bounded. The why-not records (a pod that fits nowhere, a node
 * kept, a launch that failed) can repeat for the whole run, so identical consecutive records about
 * one subject are folded into one entry with a count and the last time, and a subject whose reason
 * keeps changing keeps only its first record and its latest few.
 */
import { isWhyNot, type LoggedDecision } from '../result.js';

/** Most entries kept per subject by default (its first and the latest ones). */
export const DEFAULT_MAX_ENTRIES_PER_SUBJECT = 6;

/** What a why-not record is about: its kind, strategy, nodes, pods and NodePool. */
export function subjectOf(d: LoggedDecision): string {
  return JSON.stringify([d.strategy, d.kind, d.details.nodes ?? [], d.details.pods ?? [], d.details.nodePool ?? '']);
}

/**
 * Whether two records of one subject say the same and may be folded: their summary, why,
 * alternatives rejected and costs are equal as JSON. Strings, finite numbers and string lists are
 * compared directly (JSON equal exactly when they are equal); anything else as its JSON text.
 */
function sameContent(a: LoggedDecision, b: LoggedDecision): boolean {
  return sameJson(a.summary, b.summary) && sameJson(a.details.why, b.details.why)
    && sameList(a.details.alternativesRejected, b.details.alternativesRejected)
    && sameJson(a.details.costPerHourBefore ?? null, b.details.costPerHourBefore ?? null)
    && sameJson(a.details.costPerHourAfter ?? null, b.details.costPerHourAfter ?? null);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) return a === b;
  return JSON.stringify([a]) === JSON.stringify([b]);
}

function sameList(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return JSON.stringify([a]) === JSON.stringify([b]);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a[i];
    const y: unknown = b[i];
    if (typeof x !== 'string' || typeof y !== 'string') return JSON.stringify(a) === JSON.stringify(b);
    if (x !== y) return false;
  }
  return true;
}

/** How many original records an entry stands for, the ones omitted just before it included. */
export function weightOf(d: LoggedDecision): number {
  return (d.repeats?.count ?? 1) + (d.omittedBefore ?? 0);
}

interface Slot {
  entry: LoggedDecision;
  /** The record the entry was made from (folds and weights change `entry`, never what it says). */
  readonly first: LoggedDecision;
  dropped: boolean;
}

/**
 * Folds and bounds the why-not records of `decisions` (oldest first); actions are kept as they
 * are, in place. Guarantees, per subject ({@link subjectOf}): no two consecutive kept entries have
 * the same content; at most `maxPerSubject` entries; its first and latest records are kept, the
 * latest with `repeats.lastT` (or `t`) equal to the subject's last record time; the weights
 * ({@link weightOf}) of the kept entries sum to the number of records it had. Compacting twice
 * gives what compacting once did. Does not modify its input.
 * @throws RangeError when maxPerSubject < 2.
 */
export function compactDecisions<D extends LoggedDecision>(decisions: readonly D[], maxPerSubject = DEFAULT_MAX_ENTRIES_PER_SUBJECT): D[] {
  if (!Number.isSafeInteger(maxPerSubject) || maxPerSubject < 2) throw new RangeError(`maxPerSubject must be an integer >= 2, got ${maxPerSubject}`);
  const slots: Slot[] = [];
  const bySubject = new Map<string, Slot[]>();
  for (const d of decisions) {
    if (!isWhyNot(d.kind)) {
      slots.push({ entry: d, first: d, dropped: false });
      continue;
    }
    const subject = subjectOf(d);
    const kept = bySubject.get(subject) ?? [];
    const last = kept.at(-1);
    if (last && (d.omittedBefore ?? 0) === 0 && sameContent(last.first, d)) {
      last.entry = { ...last.entry, repeats: { count: (last.entry.repeats?.count ?? 1) + (d.repeats?.count ?? 1), lastT: d.repeats?.lastT ?? d.t } };
      continue;
    }
    const slot: Slot = { entry: d, first: d, dropped: false };
    slots.push(slot);
    kept.push(slot);
    bySubject.set(subject, kept);
    if (kept.length > maxPerSubject) {
      // Drop the oldest entry after the first; the entry after it now carries its weight.
      const [gone] = kept.splice(1, 1);
      gone!.dropped = true;
      const next = kept[1]!;
      next.entry = { ...next.entry, omittedBefore: (next.entry.omittedBefore ?? 0) + weightOf(gone!.entry) };
    }
  }
  return slots.filter((s) => !s.dropped).map((s) => s.entry as D);
}
