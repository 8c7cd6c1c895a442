/**
 * The provisioning batch window: it opens at the first trigger and closes after `idleMs` without
 * a new trigger or `maxMs` after it opened, whichever comes first (Karpenter's BATCH_IDLE_DURATION
 * and BATCH_MAX_DURATION, 1 s and 10 s), so a burst of pending pods is solved together.
 */
import type { Clock } from '../../utils/clock.js';
import type { Quiescent } from './reconciler.js';

export interface BatchWindow {
  openedAt: number;
  closedAt: number;
  /** Triggers received while it was open (including the one that opened it). */
  triggers: number;
  /** Why it closed. */
  closedBy: 'idle' | 'max';
}

export interface BatcherOptions {
  clock: Clock;
  /** Close after this long without a trigger (default 1000 ms). */
  idleMs?: number;
  /** Close this long after opening, however busy (default 10,000 ms). */
  maxMs?: number;
  /** Called (synchronously) as each window closes. */
  onClose?: (window: BatchWindow) => void;
}

/** Thrown to waiters when the batcher is stopped. */
export class BatcherStoppedError extends Error {
  constructor() {
    super('waiting for a batch window to close: the batcher was stopped');
    this.name = 'BatcherStoppedError';
  }
}

export class Batcher implements Quiescent {
  readonly idleMs: number;
  readonly maxMs: number;
  readonly #clock: Clock;
  readonly #onClose: ((window: BatchWindow) => void) | undefined;
  #open: { openedAt: number; triggers: number; cancelIdle: () => void; cancelMax: () => void } | undefined;
  #waiters: { resolve: (w: BatchWindow) => void; reject: (e: Error) => void }[] = [];
  #stopped = false;

  /** @throws RangeError unless 0 < idleMs and 0 < maxMs. */
  constructor(options: BatcherOptions) {
    this.#clock = options.clock;
    this.idleMs = options.idleMs ?? 1_000;
    this.maxMs = options.maxMs ?? 10_000;
    if (!(this.idleMs > 0 && this.maxMs > 0)) {
      throw new RangeError(`configuring the batch window: idleMs and maxMs must be > 0, got ${this.idleMs} and ${this.maxMs}`);
    }
    this.#onClose = options.onClose;
  }

  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  /** Opens a window, or extends the open one's idle deadline (never past its max). No-op once stopped. */
  trigger(): void {
    if (this.#stopped) return;
    const w = this.#open;
    if (w) {
      w.triggers++;
      w.cancelIdle();
      w.cancelIdle = this.#clock.setTimer(this.idleMs, () => this.#close('idle'));
      return;
    }
    this.#open = {
      openedAt: this.#clock.now(),
      triggers: 1,
      cancelIdle: this.#clock.setTimer(this.idleMs, () => this.#close('idle')),
      cancelMax: this.#clock.setTimer(this.maxMs, () => this.#close('max')),
    };
  }

  /** Resolves when the open window closes, or the next one if none is open. Rejects once stopped. */
  wait(): Promise<BatchWindow> {
    if (this.#stopped) return Promise.reject(new BatcherStoppedError());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** No window open. */
  isIdle(): boolean {
    return this.#open === undefined;
  }

  /** Cancels an open window without closing it, and rejects waiters. */
  stop(): void {
    this.#stopped = true;
    this.#open?.cancelIdle();
    this.#open?.cancelMax();
    this.#open = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new BatcherStoppedError());
  }

  #close(closedBy: BatchWindow['closedBy']): void {
    const w = this.#open;
    if (!w) return;
    w.cancelIdle();
    w.cancelMax();
    this.#open = undefined;
    const window: BatchWindow = { openedAt: w.openedAt, closedAt: this.#clock.now(), triggers: w.triggers, closedBy };
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const x of waiters) x.resolve(window);
    this.#onClose?.(window);
  }
}
