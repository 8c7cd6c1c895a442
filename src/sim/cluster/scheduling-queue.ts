/**
 * kube-scheduler's retry rules for pods that did not fit, so the stand-in retries them as often as
 * the real scheduler would and no more: a pod that failed is tried again only after something in
 * the cluster changed since its last attempt and its backoff has passed (1 s doubling to 10 s,
 * kube-scheduler's podInitialBackoffSeconds / podMaxBackoffSeconds), or after it has sat
 * unschedulable for 5 minutes (podMaxInUnschedulablePodsDuration) whatever happened.
 */

export interface SchedulingQueueOptions {
  /** Backoff after the first failure (ms; default 1,000). */
  readonly initialBackoffMs?: number;
  /** Backoff cap (ms; default 10,000). */
  readonly maxBackoffMs?: number;
  /** A failed pod is retried after this long even if nothing changed (ms; default 300,000). */
  readonly flushAfterMs?: number;
}

interface Attempts {
  count: number;
  lastAt: number;
  /** The cluster event count when it was last tried. */
  lastSeq: number;
}

export class SchedulingQueue {
  readonly #initial: number;
  readonly #max: number;
  readonly #flush: number;
  /** backoffMs by doublings (failures - 1, at most 30): worked out once, as every waiting pod's is read at each event. */
  readonly #backoff: Float64Array;
  readonly #attempts = new Map<string, Attempts>();
  #events = 0;
  #version = 0;
  /** At least the largest lastSeq recorded (never lowered when records go: only ever conservative). */
  #maxSeq = -1;

  /** @throws RangeError for a negative or non-finite duration. */
  constructor(o: SchedulingQueueOptions = {}) {
    this.#initial = check('initialBackoffMs', o.initialBackoffMs ?? 1_000);
    this.#max = check('maxBackoffMs', o.maxBackoffMs ?? 10_000);
    this.#flush = check('flushAfterMs', o.flushAfterMs ?? 300_000);
    this.#backoff = new Float64Array(31);
    for (let d = 0; d <= 30; d++) this.#backoff[d] = Math.min(this.#max, this.#initial * 2 ** d);
  }

  /** Cluster events noted so far. */
  get eventCount(): number {
    return this.#events;
  }

  /**
   * Changes whenever eligibleAt may answer differently for some pod: a record written or dropped,
   * or a cluster event some record has not seen yet (once every record has seen one, more events
   * change nothing until the next failure).
   */
  get eligibilityKey(): string {
    return `${this.#version}/${Math.min(this.#events, this.#maxSeq + 1)}`;
  }

  /** Something changed that may let failed pods fit (a node, a freed slot, a volume). */
  noteClusterEvent(): void {
    this.#events++;
  }

  /** The earliest time the pod may be tried (now or earlier for a pod never tried); Infinity never, until an event. */
  eligibleAt(uid: string): number {
    const a = this.#attempts.get(uid);
    if (!a) return -Infinity;
    const flushAt = a.lastAt + this.#flush;
    if (a.lastSeq >= this.#events) return flushAt;
    return Math.min(flushAt, a.lastAt + this.backoffMs(a.count));
  }

  /** The backoff after `failures` failures. */
  backoffMs(failures: number): number {
    return this.#backoff[Math.min(Math.max(failures - 1, 0), 30)]!;
  }

  /** The pod was tried at `now` (when the event count was `seq`) and fit nowhere. */
  failed(uid: string, now: number, seq: number): void {
    this.#version++;
    if (seq > this.#maxSeq) this.#maxSeq = seq;
    const a = this.#attempts.get(uid);
    if (a) {
      a.count++;
      a.lastAt = now;
      a.lastSeq = seq;
    } else {
      this.#attempts.set(uid, { count: 1, lastAt: now, lastSeq: seq });
    }
  }

  /** Failures recorded for the pod. */
  failures(uid: string): number {
    return this.#attempts.get(uid)?.count ?? 0;
  }

  /** The pod left the queue (bound or gone). */
  forget(uid: string): void {
    if (this.#attempts.delete(uid)) this.#version++;
  }

  /** Drops every record but those of `keep` (pods still waiting). */
  retain(keep: ReadonlySet<string>): void {
    for (const uid of this.#attempts.keys()) {
      if (keep.has(uid)) continue;
      this.#attempts.delete(uid);
      this.#version++;
    }
  }

  get size(): number {
    return this.#attempts.size;
  }
}

function check(name: string, ms: number): number {
  if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`scheduling queue option ${name} must be a non-negative number of ms, got ${ms}`);
  return ms;
}
