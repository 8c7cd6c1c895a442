/**
 * One watch's queue of events and its async-iterator face. Events reference immutable stored
 * objects and are copied only when the consumer takes them, so a slow consumer costs memory for
 * references, not copies.
 */
import type { WatchEvent } from '../types.js';
import { copyJson } from './json.js';
import type { StoredObject } from './object-store.js';

/** A change of an object as a watch queues it: the stored object, and the version before it when known. */
export interface ObjectEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: StoredObject;
  /** The stored version this one replaced (undefined for a creation, or when not known). */
  readonly previous: StoredObject | undefined;
}

export type QueuedEvent = ObjectEvent | { type: 'BOOKMARK'; resourceVersion: string };

/** Makes what the consumer is handed for an object event (see MemoryWatchStream). */
export type WatchCopy = (ev: ObjectEvent) => unknown;

const privateCopy: WatchCopy = (ev) => copyJson(ev.object);

type Waiter<T> = { resolve: (r: IteratorResult<WatchEvent<T>>) => void; reject: (e: Error) => void };

/**
 * A single-consumer stream. It ends normally (`end`) or with an error (`fail`, raised from the
 * next `next()` after the queued events are taken); either way `onClose` runs exactly once.
 */
export class MemoryWatchStream<T> implements AsyncIterableIterator<WatchEvent<T>> {
  #queue: QueuedEvent[] = [];
  #head = 0;
  #waiter: Waiter<T> | undefined;
  #state: 'open' | 'ended' | 'failed' = 'open';
  #error: Error | undefined;
  #onClose: (() => void) | undefined;

  /** @param copy makes what the consumer is handed for an object event (a private deep copy of its object by default). */
  constructor(readonly maxQueue: number, readonly copy: WatchCopy = privateCopy) {}

  /** Runs once when the stream ends or fails (unregister, cancel timers). */
  setOnClose(fn: () => void): void {
    this.#onClose = fn;
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  /** Events waiting for the consumer. */
  get backlog(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues an event; a consumer that lets maxQueue pile up is dropped (the stream ends). */
  push(ev: QueuedEvent): void {
    if (this.#state !== 'open') return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve({ done: false, value: toEvent<T>(ev, this.copy) });
      return;
    }
    if (this.backlog >= this.maxQueue) {
      this.end();
      return;
    }
    this.#queue.push(ev);
  }

  end(): void {
    this.#close('ended', undefined);
  }

  fail(error: unknown): void {
    this.#close('failed', error instanceof Error ? error : new Error(String(error)));
  }

  #close(state: 'ended' | 'failed', error: Error | undefined): void {
    if (this.#state !== 'open') return;
    this.#state = state;
    this.#error = error;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      if (error) w.reject(error);
      else w.resolve({ done: true, value: undefined });
    }
  }

  next(): Promise<IteratorResult<WatchEvent<T>>> {
    if (this.#head < this.#queue.length) {
      const ev = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value: toEvent<T>(ev, this.copy) });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#state === 'ended') return Promise.resolve({ done: true, value: undefined });
    if (this.#waiter) return Promise.reject(new Error('watch stream: next() called again before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The consumer stopped (break out of for-await): end the watch and drop what is queued. */
  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.end();
    this.#queue = [];
    this.#head = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function toEvent<T>(ev: QueuedEvent, copy: WatchCopy): WatchEvent<T> {
  if (ev.type === 'BOOKMARK') return { type: 'BOOKMARK', resourceVersion: ev.resourceVersion };
  return { type: ev.type, object: copy(ev) as T };
}
