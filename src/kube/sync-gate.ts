/**
 * A one-way gate: shut until opened, then open for good (or failed for good). Used for "has this
 * cache synced?" by informers and the cluster state.
 */

/** The reason a wait ended without the gate opening, when the signal gave none. */
function abortError(signal: AbortSignal, doing: string): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`${doing}: aborted`);
}

export class SyncGate {
  #state: 'shut' | 'open' | 'failed' = 'shut';
  #error: Error | undefined;
  #waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  /** @param doing what a waiter is waiting for, for abort messages ("waiting for the Pod informer to sync"). */
  constructor(readonly doing: string) {}

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Resolves once open. Rejects with the failure if the gate fails first, or with the signal's
   * reason if it aborts first.
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#state === 'failed') return Promise.reject(this.#error!);
    if (signal?.aborted) return Promise.reject(abortError(signal, this.doing));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(abortError(signal!, this.doing));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Opens the gate (no-op unless shut); returns whether it did. */
  open(): boolean {
    if (this.#state !== 'shut') return false;
    this.#state = 'open';
    this.#release((w) => w.resolve());
    return true;
  }

  /** Fails the gate (no-op unless shut): current and later waiters get `error`. */
  fail(error: Error): void {
    if (this.#state !== 'shut') return;
    this.#state = 'failed';
    this.#error = error;
    this.#release((w) => w.reject(error));
  }

  #release(fn: (w: { resolve: () => void; reject: (e: Error) => void }) => void): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) fn(w);
  }
}
