/** Decision records for what the disruption controller did, and for what it did not do and why. */
import { keyOf } from '../../apis/core.js';
import type { Decision } from '../context.js';
import { nameList, plural } from './format.js';
import type { Command } from './types.js';
import { candidatesPrice, replacementsPrice } from './types.js';

const MAX_PODS_LISTED = 100;

function verb(command: Command, replacementNames: readonly string[]): string {
  const nodes = nameList(command.candidates.map((c) => c.nodeName));
  const n = command.candidates.length;
  const with_ = replacementNames.length === 0 ? '' : ` with ${plural(replacementNames.length, 'new NodeClaim')} (${nameList(replacementNames)})`;
  switch (command.kind) {
    case 'empty': return `deleting ${plural(n, 'empty node')}: ${nodes}`;
    case 'consolidate-delete': return `deleting ${plural(n, 'underused node')} (${nodes}): their pods fit on other nodes`;
    case 'consolidate-replace': return `replacing ${plural(n, 'underused node')} (${nodes})${with_}, cheaper`;
    case 'drift': return replacementNames.length === 0 ? `deleting ${plural(n, 'drifted node')}: ${nodes}` : `replacing drifted ${nodes}${with_}`;
  }
}

/**
 * The record of a command being executed. Cost before/after are the $/h of the nodes removed and
 * of the replacements launched (the change to the cluster's bill).
 */
export function commandDecision(command: Command, replacementNames: readonly string[], time: number): Decision {
  const pools = [...new Set(command.candidates.map((c) => c.nodePoolName))];
  const pods = command.candidates.flatMap((c) => c.reschedulablePods.map(keyOf));
  return {
    time,
    kind: command.kind,
    summary: verb(command, replacementNames),
    why: command.why,
    alternativesRejected: command.rejected.length > 0 ? command.rejected : undefined,
    costPerHourBefore: candidatesPrice(command.candidates),
    costPerHourAfter: replacementsPrice(command.replacements),
    nodes: [...command.candidates.map((c) => c.nodeName), ...replacementNames],
    pods: pods.length > MAX_PODS_LISTED ? [...pods.slice(0, MAX_PODS_LISTED), `… ${pods.length - MAX_PODS_LISTED} more`] : pods,
    nodePool: pools.length === 1 ? pools[0] : undefined,
  };
}

/**
 * A 'disruption-blocked' record: `subject` was not disrupted, because `why`. A single node's price,
 * when known, is its cost before (and after: nothing changed).
 */
export function blockedDecision(time: number, subject: { nodes?: readonly string[]; nodePool?: string; price?: number }, summary: string, why: string): Decision {
  const d: Decision = { time, kind: 'disruption-blocked', summary, why, nodes: subject.nodes, nodePool: subject.nodePool };
  return subject.price === undefined ? d : { ...d, costPerHourBefore: subject.price, costPerHourAfter: subject.price };
}

/**
 * Remembers the last reason recorded per kind and subject (a node, a pool, a method) and records a
 * decision only when the reason changes, so a node blocked for hours yields one record, not one
 * per pass. Subjects are kept per kind, so a pass clears and forgets them without building keys.
 */
export class BlockedLog {
  readonly #last = new Map<string, Map<string, string>>();
  readonly #record: (d: Decision) => void;

  constructor(record: (d: Decision) => void) {
    this.#record = record;
  }

  /**
   * The reason last recorded per subject of the kind (live: notes update it), for a caller noting
   * many subjects to skip, with one lookup each, those whose reason is unchanged.
   */
  lastReasons(kind: string): ReadonlyMap<string, string> {
    return this.#subjects(kind);
  }

  /** Records `make()` unless `reason` is what was last recorded for the kind and subject. @returns whether it recorded. */
  note(kind: string, subject: string, reason: string, make: () => Decision): boolean {
    const subjects = this.#subjects(kind);
    if (subjects.get(subject) === reason) return false;
    subjects.set(subject, reason);
    this.#record(make());
    return true;
  }

  #subjects(kind: string): Map<string, string> {
    let subjects = this.#last.get(kind);
    if (subjects === undefined) this.#last.set(kind, (subjects = new Map<string, string>()));
    return subjects;
  }

  /** Forgets the subject of the kind: the next note records again. */
  clear(kind: string, subject: string): void {
    this.#last.get(kind)?.delete(subject);
  }

  /** How many subjects of the kind are remembered. */
  count(kind: string): number {
    return this.#last.get(kind)?.size ?? 0;
  }

  /** Forgets every subject of the kind for which `keep` is false. */
  retain(kind: string, keep: (subject: string) => boolean): void {
    const subjects = this.#last.get(kind);
    if (subjects === undefined) return;
    for (const s of subjects.keys()) if (!keep(s)) subjects.delete(s);
  }

  /** Subjects remembered, over all kinds. */
  get size(): number {
    let n = 0;
    for (const subjects of this.#last.values()) n += subjects.size;
    return n;
  }
}
