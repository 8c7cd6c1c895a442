/**
 * Events in the embedded cluster: recordEvent builds an events.k8s.io/v1 Event, and events expire
 * after a TTL (the API server keeps them an hour) so a day-long simulation does not hoard them.
 */
import type { Event } from '../../apis/core.js';
import type { Clock } from '../../utils/clock.js';
import { formatMicroTime } from '../../utils/clock.js';
import { isConflict, isNotFound } from '../errors.js';
import type { EventInput } from '../types.js';
import type { ObjectWriter } from './writer.js';

const MAX_NOTE_BYTES = 1024;

/**
 * The longest prefix of `text` (in UTF-16 units) whose UTF-8 encoding fits in `max` bytes. A
 * prefix's byte length grows with every unit, so the cut is found by bisection: dropping one unit
 * at a time costs a byte count of the whole note per unit, which for long notes (several KiB of
 * scheduling reasons) was most of the cost of recording an Event.
 */
export function truncateUtf8(text: string, max: number): string {
  // A UTF-16 unit is at most 3 bytes of UTF-8, so most notes need no byte count at all.
  if (text.length * 3 <= max || Buffer.byteLength(text) <= max) return text;
  let lo = 0; // fits
  let hi = Math.min(text.length, max + 1); // does not fit: every unit is at least one byte
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.byteLength(text.slice(0, mid)) <= max) lo = mid;
    else hi = mid;
  }
  return text.slice(0, lo);
}

/** The Event object recordEvent creates (the real client sends the same). */
export function buildEvent(input: EventInput, nowMs: number): Event {
  const r = input.regarding;
  const regarding: NonNullable<Event['regarding']> = { kind: r.kind, name: r.name };
  if (r.namespace) regarding.namespace = r.namespace;
  if (r.uid) regarding.uid = r.uid;
  if (r.apiVersion) regarding.apiVersion = r.apiVersion;
  const note = truncateUtf8(input.note, MAX_NOTE_BYTES);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { generateName: `${r.name}.`, namespace: r.namespace ?? 'default' },
    regarding,
    type: input.type,
    reason: input.reason,
    note,
    action: input.action ?? input.reason,
    reportingController: input.reportingController ?? 'nodewright',
    reportingInstance: input.reportingController ?? 'nodewright',
    eventTime: formatMicroTime(nowMs),
  } as Event;
}

export class EventRecorder {
  /** Created events in time order, to expire from the front. */
  #queue: { name: string; namespace: string; uid: string; expiresAt: number }[] = [];
  #head = 0;
  #cancel: (() => void) | undefined;

  /** @param ttlMs how long an event lives; 0 keeps events forever. */
  constructor(readonly writer: ObjectWriter, readonly clock: Clock, readonly ttlMs: number) {}

  record(input: EventInput): void {
    const created = this.writer.create('Event', buildEvent(input, this.clock.now()), true);
    if (this.ttlMs <= 0) return;
    this.#queue.push({
      name: created.metadata.name ?? '',
      namespace: created.metadata.namespace ?? 'default',
      uid: created.metadata.uid ?? '',
      expiresAt: this.clock.now() + this.ttlMs,
    });
    this.#arm();
  }

  #arm(): void {
    if (this.#cancel || this.#head >= this.#queue.length) return;
    const delay = this.#queue[this.#head]!.expiresAt - this.clock.now();
    this.#cancel = this.clock.setTimer(delay, () => {
      this.#cancel = undefined;
      this.#expire();
    });
  }

  #expire(): void {
    const now = this.clock.now();
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.expiresAt <= now) {
      const e = this.#queue[this.#head++]!;
      try {
        this.writer.delete('Event', e.name, e.namespace, { preconditions: { uid: e.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err; // already gone, or a newer event of that name
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
