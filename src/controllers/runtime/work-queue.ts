/**
 * A work queue of keys with client-go's guarantees: a key waiting is queued once however often it
 * is added; a key being processed is never handed out again until `done`, and if it was added
 * meanwhile it is queued again then; delayed adds wait on the Clock (the earliest deadline wins);
 * failures back off per key.
 */
import type { Clock } from '../../utils/clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { ExponentialRateLimiter } from './rate-limiter.js';

interface Delayed {
  readonly at: number;
  readonly cancel: () => void;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  /** Ready keys in order; `#dirty` says which are really still wanted (a Set keeps order and O(1) delete). */
  readonly #ready = new Set<string>();
  readonly #processing = new Set<string>();
  /** Added while processing: queue again on done. */
  readonly #again = new Set<string>();
  readonly #delayed = new Map<string, Delayed>();
  #shutDown = false;
  #onReady: (() => void) | undefined;

  constructor(clock: Clock, rateLimiter: RateLimiter = new ExponentialRateLimiter()) {
    this.#clock = clock;
    this.#limiter = rateLimiter;
  }

  /** Called (synchronously) whenever a key becomes ready. */
  setOnReady(fn: () => void): void {
    this.#onReady = fn;
  }

  /** Keys ready to be taken. */
  get length(): number {
    return this.#ready.size;
  }

  /** Keys taken and not yet done. */
  get processing(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a delayed add. */
  get delayed(): number {
    return this.#delayed.size;
  }

  get isShutDown(): boolean {
    return this.#shutDown;
  }

  /** Deadline (epoch ms) of the earliest delayed add, if any. O(delayed keys). */
  nextDelayedAt(): number | undefined {
    let min: number | undefined;
    for (const d of this.#delayed.values()) if (min === undefined || d.at < min) min = d.at;
    return min;
  }

  /** Queues the key now (a no-op if it is already waiting, or after shutDown). */
  add(key: string): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#again.add(key);
      return;
    }
    if (this.#ready.has(key)) return;
    this.#ready.add(key);
    this.#onReady?.();
  }

  /** Queues the key after `ms` (now when ms <= 0). A key already delayed keeps the earlier deadline. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.#clock.setTimer(ms, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, cancel });
  }

  /** Drops a pending delayed add of the key (it stays queued if it is ready). */
  cancelDelayed(key: string): void {
    this.#delayed.get(key)?.cancel();
    this.#delayed.delete(key);
  }

  /** Queues the key after its backoff (one more failure counted). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Resets the key's backoff. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** Takes the next ready key (undefined when none), marking it processing until `done`. */
  get(): string | undefined {
    if (this.#shutDown) return undefined;
    const first = this.#ready.values().next();
    if (first.done) return undefined;
    const key = first.value;
    this.#ready.delete(key);
    this.#processing.add(key);
    return key;
  }

  /** The key's processing finished; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#again.delete(key)) this.add(key);
  }

  /** Cancels delayed adds and stops handing out keys; adds become no-ops. */
  shutDown(): void {
    this.#shutDown = true;
    for (const d of this.#delayed.values()) d.cancel();
    this.#delayed.clear();
    this.#ready.clear();
    this.#again.clear();
  }
}
