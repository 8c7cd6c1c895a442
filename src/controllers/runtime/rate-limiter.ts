/**
 * Per-key exponential backoff for failed reconciles, as controller-runtime's default item limiter:
 * 5 ms, 10 ms, 20 ms, … up to 1000 s, reset when the key succeeds (`forget`).
 */

export interface RateLimiter {
  /** The delay before retrying `key`, counting this as one more failure. */
  when(key: string): number;
  /** The key succeeded: its next failure starts from the base delay again. */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

export interface ExponentialRateLimiterOptions {
  /** First delay (default 5 ms). */
  baseMs?: number;
  /** Largest delay (default 1000 s). */
  maxMs?: number;
}

export class ExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #baseMs: number;
  readonly #maxMs: number;

  /** @throws RangeError unless 0 < baseMs <= maxMs. */
  constructor(options: ExponentialRateLimiterOptions = {}) {
    this.#baseMs = options.baseMs ?? 5;
    this.#maxMs = options.maxMs ?? 1_000_000;
    if (!(this.#baseMs > 0 && this.#baseMs <= this.#maxMs)) {
      throw new RangeError(`configuring backoff: need 0 < baseMs <= maxMs, got ${this.#baseMs} and ${this.#maxMs}`);
    }
  }

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    // 2^n overflows to Infinity long after it passes any sane max; min() keeps it finite.
    return Math.min(this.#maxMs, this.#baseMs * 2 ** n);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}
