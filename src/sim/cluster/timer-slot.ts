/**
 * One pending wake-up on the Clock that can be moved earlier: the coalescing primitive of the
 * stand-ins ("run once, soon, however many events asked for it").
 */
import type { Clock } from '../../utils/clock.js';

export class TimerSlot {
  readonly #clock: Clock;
  readonly #fn: () => void;
  #cancel: (() => void) | undefined;
  #at: number | undefined;

  constructor(clock: Clock, fn: () => void) {
    this.#clock = clock;
    this.#fn = fn;
  }

  /** When the wake-up is due (epoch ms), or undefined when none is armed. */
  get at(): number | undefined {
    return this.#at;
  }

  /**
   * Arms the wake-up for `t` (epoch ms; the past means now), unless one is already due by then.
   * @throws RangeError when `t` is not finite.
   */
  armAt(t: number): void {
    if (!Number.isFinite(t)) throw new RangeError(`arming a wake-up: time must be finite, got ${t}`);
    if (this.#at !== undefined && this.#at <= t) return;
    this.#cancel?.();
    const now = this.#clock.now();
    this.#at = Math.max(t, now);
    this.#cancel = this.#clock.setTimer(this.#at - now, () => {
      this.#at = undefined;
      this.#cancel = undefined;
      this.#fn();
    });
  }

  cancel(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#at = undefined;
  }

  /** True when nothing is armed within `horizonMs` from now. */
  idleWithin(horizonMs: number): boolean {
    return this.#at === undefined || this.#at > this.#clock.now() + horizonMs;
  }
}
