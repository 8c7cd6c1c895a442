/**
 * An async task run on the Clock, never twice at once: any number of requests while it is queued
 * make one run, and a request during a run makes one more run after it. What a controller's
 * reconcile of one object needs.
 */
import type { Clock } from '../../utils/clock.js';
import { TimerSlot } from './timer-slot.js';

export class CoalescedTask {
  readonly #slot: TimerSlot;
  readonly #clock: Clock;
  readonly #run: () => Promise<void>;
  readonly #onError: (e: unknown) => void;
  #running = false;
  #again = false;
  #stopped = false;

  /** `run` should not throw; if it does, `onError` gets it and the task stays usable. */
  constructor(clock: Clock, run: () => Promise<void>, onError: (e: unknown) => void) {
    this.#clock = clock;
    this.#run = run;
    this.#onError = onError;
    this.#slot = new TimerSlot(clock, () => void this.#go());
  }

  /** Runs the task soon (at the current virtual instant, after pending events are handled). */
  request(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#slot.armAt(this.#clock.now());
  }

  stop(): void {
    this.#stopped = true;
    this.#slot.cancel();
  }

  isIdle(horizonMs = 0): boolean {
    return !this.#running && this.#slot.idleWithin(horizonMs);
  }

  async #go(): Promise<void> {
    if (this.#stopped) return;
    this.#running = true;
    this.#again = false;
    try {
      await this.#run();
    } catch (e) {
      this.#onError(e);
    } finally {
      this.#running = false;
      if (this.#again) this.request();
    }
  }
}
