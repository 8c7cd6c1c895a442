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

/** The Event object recordEvent creates (the real client sends the same). */
export function buildEvent(input: EventInput, nowMs: number): Event {
  const r = input.regarding;
  const regarding: NonNullable<Event['regarding']> = { kind: r.kind, name: r.name };
  if (r.namespace) regarding.namespace = r.namespace;
  if (r.uid) regarding.uid = r.uid;
  if (r.apiVersion) regarding.apiVersion = r.apiVersion;
  let note = input.note;
  // A UTF-16 unit is at most 3 bytes of UTF-8, so most notes need no byte count at all.
  if (note.length * 3 > MAX_NOTE_BYTES) while (Buffer.byteLength(note) > MAX_NOTE_BYTES) note = note.slice(0, -1);
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
    const created = this.writer.create('Event', buildEvent(input, this.clock.now()));
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
