/**
 * Adapts client-node's callback `Watch` to the KubeClient's WatchStream (an async iterator).
 *
 * How a stream ends: normally when the server closes it (timeoutSeconds), when the connection
 * drops after it was established (the caller re-watches from the last resourceVersion), when the
 * caller's signal aborts or the caller stops iterating; with a KubeError when the server sends an
 * ERROR event (410 Expired/Gone: relist) or the watch could not be started (HTTP error, server
 * unreachable).
 */
import type { KubeError } from '../errors.js';
import { kubeErrorFromStatus } from '../errors.js';
import type { WatchEvent, WatchStream } from '../types.js';
import { statusFromBody, toKubeError } from './error-mapping.js';

/** The shape of client-node's `Watch.watch` (query values are stringified; undefined ones left out). */
export type StartWatch = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, object: unknown) => void,
  done: (err: unknown) => void,
) => Promise<AbortController>;

export interface WatchRequest<T> {
  /** What the watch is for, to prefix error messages ("watching Pod in ns"). */
  doing: string;
  path: string;
  query: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Turns a raw object from the server into what the stream delivers. */
  decode: (object: unknown) => T;
}

type Item<T> = { event: WatchEvent<T> } | { end: true; error?: KubeError };

const DONE = { done: true, value: undefined } as const;

/** One watch connection and the events it has delivered but nobody has read yet. */
class WatchIterator<T> implements AsyncIterator<WatchEvent<T>> {
  readonly #req: WatchRequest<T>;
  readonly #queue: Item<T>[] = [];
  #waiter: ((item: Item<T>) => void) | undefined;
  #finished = false;
  #connected = false;
  #controller: AbortController | undefined;
  readonly #onAbort = (): void => this.#stop();

  constructor(start: StartWatch, req: WatchRequest<T>) {
    this.#req = req;
    if (req.signal?.aborted) {
      this.#finish({ end: true });
      return;
    }
    req.signal?.addEventListener('abort', this.#onAbort, { once: true });
    start(req.path, req.query, (type, object) => this.#onEvent(type, object), (err) => this.#onDone(err)).then(
      (controller) => {
        this.#connected = true;
        this.#controller = controller;
        if (this.#finished) controller.abort();
      },
      (err: unknown) => this.#onDone(err),
    );
  }

  next(): Promise<IteratorResult<WatchEvent<T>>> {
    const item = this.#queue.shift() ?? (this.#finished ? { end: true as const } : undefined);
    if (item) return this.#settle(item);
    return new Promise<Item<T>>((resolve) => (this.#waiter = resolve)).then((i) => this.#settle(i));
  }

  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.#stop();
    this.#queue.length = 0;
    return Promise.resolve(DONE);
  }

  #settle(item: Item<T>): Promise<IteratorResult<WatchEvent<T>>> {
    if ('event' in item) return Promise.resolve({ done: false, value: item.event });
    // The end (and any error) is reported once; later calls see a plain end.
    return item.error ? Promise.reject(item.error) : Promise.resolve(DONE);
  }

  #push(item: Item<T>): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(item);
    } else {
      this.#queue.push(item);
    }
  }

  #finish(end: Item<T> & { end: true }): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#req.signal?.removeEventListener('abort', this.#onAbort);
    this.#controller?.abort();
    this.#push(end);
  }

  /** Ended by our side: whatever the connection reports afterwards is not an error. */
  #stop(): void {
    this.#finish({ end: true });
  }

  #onEvent(type: string, object: unknown): void {
    if (this.#finished) return;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        this.#push({ event: { type, object: this.#req.decode(object) } });
        return;
      case 'BOOKMARK': {
        const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
        if (typeof rv === 'string') this.#push({ event: { type: 'BOOKMARK', resourceVersion: rv } });
        return;
      }
      case 'ERROR':
        this.#finish({ end: true, error: kubeErrorFromStatus(this.#req.doing, statusFromBody(object)) });
        return;
      default:
        return; // a type this client does not know: skip it, as client-go does
    }
  }

  #onDone(err: unknown): void {
    // A connection that was up and then closed or broke is a normal end: the caller re-watches.
    // Failing before it was up (an HTTP error status, nothing listening) is the stream failing.
    const failed = err !== null && err !== undefined && !this.#connected;
    this.#finish(failed ? { end: true, error: toKubeError(this.#req.doing, err) } : { end: true });
  }
}

/** A WatchStream that opens one watch per iteration. */
export function watchStream<T>(start: StartWatch, req: WatchRequest<T>): WatchStream<T> {
  return { [Symbol.asyncIterator]: () => new WatchIterator(start, req) };
}
