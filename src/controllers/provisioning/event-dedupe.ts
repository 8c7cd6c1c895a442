/**
 * Rate limiting of the per-pod Events provisioning writes ("Nominated", "FailedScheduling"): the
 * same event for the same pod (same reason and message, so the same target or the same failure) is
 * written at most once per window, as Karpenter's event recorder dedupes them. A pod that waits
 * through many rounds then does not collect an Event per round.
 */
import type { Clock } from '../../utils/clock.js';

/** Karpenter's default dedupe timeout. */
export const EVENT_DEDUPE_MS = 2 * 60_000;

export class EventDedupe {
  readonly #clock: Clock;
  readonly #windowMs: number;
  /** Event key → when it was last let through (epoch ms). */
  readonly #seen = new Map<string, number>();
  #pruneAt = 1024;

  /** @throws RangeError for a window that is not a positive finite number of ms. */
  constructor(clock: Clock, windowMs: number = EVENT_DEDUPE_MS) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`event dedupe window must be a positive number of ms, got ${windowMs}`);
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /**
   * True when the event should be written now (and remembers that it was); false when the same
   * one (pod identity, reason, message) was let through less than the window ago.
   */
  admit(pod: string, reason: string, note: string): boolean {
    const now = this.#clock.now();
    const key = `${pod}\u0000${reason}\u0000${note}`;
    const last = this.#seen.get(key);
    if (last !== undefined && now - last < this.#windowMs) return false;
    if (this.#seen.size >= this.#pruneAt) this.#prune(now);
    this.#seen.delete(key);
    this.#seen.set(key, now);
    return true;
  }

  /** Keys remembered (expired ones included until pruned); bounded by twice the live ones, at least 1024. */
  get size(): number {
    return this.#seen.size;
  }

  #prune(now: number): void {
    // Insertion order is admission order: expired keys are at the front.
    for (const [key, at] of this.#seen) {
      if (now - at < this.#windowMs) break;
      this.#seen.delete(key);
    }
    this.#pruneAt = Math.max(1024, 2 * this.#seen.size);
  }
}
