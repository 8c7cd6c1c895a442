/**
 * A Controller fed by the cluster state's change notifications: each change is mapped to the keys
 * it concerns, and every key the cache already holds is queued at start, so nothing waits for a
 * change that happened before the controller was running.
 */
import type { StateChange } from '../../state/changes.js';
import type { ControllerContext } from '../context.js';
import { Controller } from '../runtime/controller.js';
import type { RateLimiter } from '../runtime/rate-limiter.js';
import type { Quiescent, Reconciler } from '../runtime/reconciler.js';

export interface StateDrivenOptions {
  /** The keys a change concerns (called synchronously in the cache's notification: keep it cheap). */
  keysFor(change: StateChange): Iterable<string>;
  /** The keys to reconcile at start. */
  initialKeys(): Iterable<string>;
  /** Reconciles at once (default 1). */
  concurrency?: number;
  /** Backoff after failures and `requeue: true` (default: the runtime's 5 ms doubling to 1000 s). */
  rateLimiter?: RateLimiter;
}

export class StateDrivenController implements Quiescent {
  readonly name: string;
  readonly controller: Controller;
  readonly #ctx: ControllerContext;
  readonly #options: StateDrivenOptions;
  #unsubscribe: (() => void) | undefined;

  /** @throws RangeError for a concurrency that is not a positive integer. */
  constructor(reconciler: Reconciler, ctx: ControllerContext, options: StateDrivenOptions) {
    this.name = reconciler.name;
    this.#ctx = ctx;
    this.#options = options;
    const log = ctx.log.child({ controller: reconciler.name });
    this.controller = new Controller(reconciler, {
      clock: ctx.clock,
      concurrency: options.concurrency,
      rateLimiter: options.rateLimiter,
      onError: (e) => log.warn({ key: e.key, error: e.cause instanceof Error ? e.cause.message : String(e.cause) }, e.message),
    });
  }

  /** Subscribes to the cache, queues the initial keys and starts reconciling (idempotent). */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#ctx.state.subscribe((change) => {
      for (const key of this.#options.keysFor(change)) this.controller.enqueue(key);
    });
    for (const key of this.#options.initialKeys()) this.controller.enqueue(key);
    this.controller.start();
  }

  /** Queues a key now. */
  enqueue(key: string): void {
    this.controller.enqueue(key);
  }

  /** Unsubscribes and stops; resolves when running reconciles have ended. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.controller.stop();
  }

  isIdle(horizonMs?: number): boolean {
    return this.controller.isIdle(horizonMs);
  }
}
