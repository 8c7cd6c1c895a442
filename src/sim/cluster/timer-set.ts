/**
 * Timers keyed by an id (a pod's uid), at most one per id, that can say when the next one is due:
 * what the kubelet stand-in keeps for pod starts, completions and garbage collection.
 */
import type { Clock } from '../../utils/clock.js';

interface Entry {
  readonly at: number;
  readonly cancel: () => void;
}

export class TimerSet {
  readonly #clock: Clock;
  readonly #timers = new Map<string, Entry>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  has(id: string): boolean {
    return this.#timers.has(id);
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Calls `fn` after `ms` unless a timer for `id` exists already (then nothing changes). */
  add(id: string, ms: number, fn: () => void): void {
    if (this.#timers.has(id)) return;
    const cancel = this.#clock.setTimer(ms, () => {
      this.#timers.delete(id);
      fn();
    });
    this.#timers.set(id, { at: this.#clock.now() + Math.max(0, ms), cancel });
  }

  cancel(id: string): void {
    const e = this.#timers.get(id);
    if (!e) return;
    e.cancel();
    this.#timers.delete(id);
  }

  cancelAll(): void {
    for (const e of this.#timers.values()) e.cancel();
    this.#timers.clear();
  }

  /** True when no timer is due within `horizonMs` from now (O(timers)). */
  idleWithin(horizonMs: number): boolean {
    const limit = this.#clock.now() + horizonMs;
    for (const e of this.#timers.values()) if (e.at <= limit) return false;
    return true;
  }
}
