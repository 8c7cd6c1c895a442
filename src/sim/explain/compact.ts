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

/** What must be equal for two records of one subject to be folded. */
function contentOf(d: LoggedDecision): string {
  const { why, alternativesRejected, costPerHourBefore, costPerHourAfter } = d.details;
  return JSON.stringify([d.summary, why, alternativesRejected, costPerHourBefore ?? null, costPerHourAfter ?? null]);
}

/** How many original records an entry stands for, the ones omitted just before it included. */
export function weightOf(d: LoggedDecision): number {
  return (d.repeats?.count ?? 1) + (d.omittedBefore ?? 0);
}

interface Slot {
  entry: LoggedDecision;
  readonly content: string;
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
      slots.push({ entry: d, content: '', dropped: false });
      continue;
    }
    const subject = subjectOf(d);
    const content = contentOf(d);
    const kept = bySubject.get(subject) ?? [];
    const last = kept.at(-1);
    if (last && last.content === content && (d.omittedBefore ?? 0) === 0) {
      last.entry = { ...last.entry, repeats: { count: (last.entry.repeats?.count ?? 1) + (d.repeats?.count ?? 1), lastT: d.repeats?.lastT ?? d.t } };
      continue;
    }
    const slot: Slot = { entry: d, content, dropped: false };
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
