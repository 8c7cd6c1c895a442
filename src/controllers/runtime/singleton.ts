/**
 * A loop that runs one job over and over, as controller-runtime's singleton reconcilers do: the
 * disruption pass every 10 s, a garbage collection sweep. Built on Controller, so a failing pass is
 * retried with backoff and a pass never overlaps itself.
 */
import type { Clock } from '../../utils/clock.js';
import { Controller } from './controller.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Quiescent, ReconcileError, ReconcileResult } from './reconciler.js';

/** One pass of a singleton loop. */
export interface SingletonReconciler {
  readonly name: string;
  /** Runs one pass; `requeueAfterMs` in the result overrides the interval for the next one. */
  reconcile(): Promise<ReconcileResult | void>;
}

export interface SingletonOptions {
  clock: Clock;
  /** Time from the end of one pass to the start of the next (e.g. 10 s for disruption). */
  intervalMs: number;
  /** Backoff after a failed pass (default: 5 ms doubling to 1000 s). */
  rateLimiter?: RateLimiter;
  onError?: (error: ReconcileError) => void;
}

const KEY = 'singleton';

export class Singleton implements Quiescent {
  readonly name: string;
  readonly #controller: Controller;

  /** @throws RangeError for an interval that is not a positive number. */
  constructor(reconciler: SingletonReconciler, options: SingletonOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`configuring ${reconciler.name}: intervalMs must be > 0, got ${options.intervalMs}`);
    this.name = reconciler.name;
    const interval = options.intervalMs;
    this.#controller = new Controller({
      name: reconciler.name,
      async reconcile(): Promise<ReconcileResult> {
        const result = await reconciler.reconcile();
        if (result?.requeue) return { requeue: true };
        return { requeueAfterMs: result?.requeueAfterMs ?? interval };
      },
    }, { clock: options.clock, rateLimiter: options.rateLimiter, onError: options.onError });
  }

  get stats(): Controller['stats'] {
    return this.#controller.stats;
  }

  /** Runs the first pass at once, then keeps looping. */
  start(): void {
    this.#controller.start();
    this.#controller.enqueue(KEY);
  }

  /** Runs a pass as soon as possible (after the current one, if running) instead of at the next tick. */
  trigger(): void {
    this.#controller.queue.cancelDelayed(KEY);
    this.#controller.enqueue(KEY);
  }

  /** Stops looping; resolves when a running pass has ended. */
  stop(): Promise<void> {
    return this.#controller.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#controller.isIdle(horizonMs);
  }
}
