/**
 * Runs a Reconciler over a WorkQueue: at most `concurrency` reconciles at once, never two for the
 * same key, failures retried with per-key backoff, requested requeues honoured on the Clock.
 */
import type { Clock } from '../../utils/clock.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Quiescent, ReconcileResult, Reconciler } from './reconciler.js';
import { ReconcileError } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  clock: Clock;
  /** Reconciles running at once (default 1). */
  concurrency?: number;
  /** Backoff for failures (default: 5 ms doubling to 1000 s). */
  rateLimiter?: RateLimiter;
  /** Told about every failed reconcile (the key is retried regardless). */
  onError?: (error: ReconcileError) => void;
}

export interface ControllerStats {
  reconciles: number;
  errors: number;
}

export class Controller implements Quiescent {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly stats: ControllerStats = { reconciles: 0, errors: 0 };
  readonly #reconciler: Reconciler;
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #onError: ((error: ReconcileError) => void) | undefined;
  readonly #running = new Set<Promise<void>>();
  #state: 'new' | 'running' | 'stopped' = 'new';
  #pumpScheduled = false;

  /** @throws RangeError for a concurrency that is not a positive integer. */
  constructor(reconciler: Reconciler, options: ControllerOptions) {
    this.name = reconciler.name;
    this.#reconciler = reconciler;
    this.#clock = options.clock;
    this.#concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`configuring controller ${this.name}: concurrency must be a positive integer, got ${this.#concurrency}`);
    }
    this.#onError = options.onError;
    this.queue = new WorkQueue(options.clock, options.rateLimiter);
    this.queue.setOnReady(() => this.#schedulePump());
  }

  /** Reconciles currently running. */
  get active(): number {
    return this.#running.size;
  }

  /** Queues a key (keys queued before start() wait for it). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Queues a key after `ms` on the Clock. */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Starts reconciling (idempotent while running). @throws Error after stop(). */
  start(): void {
    if (this.#state === 'stopped') throw new Error(`starting controller ${this.name}: it was stopped`);
    this.#state = 'running';
    this.#schedulePump();
  }

  /** Stops taking keys and drops queued and delayed ones; resolves when running reconciles end. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.queue.shutDown();
    await Promise.all([...this.#running]);
  }

  isIdle(horizonMs = 0): boolean {
    if (this.#running.size > 0) return false;
    if (this.#state !== 'stopped' && this.queue.length > 0) return false;
    const next = this.queue.nextDelayedAt();
    return next === undefined || next > this.#clock.now() + horizonMs;
  }

  /**
   * Pumping on a microtask, not inside add(), makes every add of the current synchronous turn
   * (an informer handler, a loop of enqueues) collapse before a key is taken, and keeps
   * reconciles from running inside the caller's stack.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled || this.#state !== 'running') return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#state === 'running' && this.#running.size < this.#concurrency) {
      const key = this.queue.get();
      if (key === undefined) return;
      const p: Promise<void> = this.#process(key).finally(() => {
        this.#running.delete(p);
        this.queue.done(key);
        this.#schedulePump();
      });
      this.#running.add(p);
    }
  }

  async #process(key: string): Promise<void> {
    this.stats.reconciles++;
    let result: ReconcileResult | void;
    try {
      result = await this.#reconciler.reconcile(key);
    } catch (e) {
      this.stats.errors++;
      this.queue.addRateLimited(key);
      this.#report(new ReconcileError(this.name, key, { cause: e }));
      return;
    }
    if (result?.requeue) {
      this.queue.addRateLimited(key);
      return;
    }
    this.queue.forget(key);
    if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
  }

  #report(error: ReconcileError): void {
    try {
      this.#onError?.(error);
    } catch {
      // A failing error sink must not take the controller down with it.
    }
  }
}
