/**
 * The contract every controller implements: a named reconciler that brings one key's world in
 * line with its spec, and says when it wants to look again.
 */

/** What a reconcile asks for next. Absent (or void): nothing until the key is enqueued again. */
export interface ReconcileResult {
  /** Reconcile this key again after this many ms (0: at once), with its error backoff reset. */
  requeueAfterMs?: number;
  /** Reconcile this key again after its per-key backoff (as if it had failed, without an error). */
  requeue?: boolean;
}

/**
 * A reconciler. `name` is dotted, component then concern ("nodeclaim.lifecycle"). `reconcile` may
 * throw: the key is then retried with per-key exponential backoff. It is never called for the same
 * key twice at once.
 */
export interface Reconciler {
  readonly name: string;
  reconcile(key: string): Promise<ReconcileResult | void>;
}

/** A reconcile failed; `cause` is what the reconciler threw. */
export class ReconcileError extends Error {
  constructor(readonly controller: string, readonly key: string, options: ErrorOptions) {
    const cause = options.cause;
    super(`reconciling ${key} in ${controller}: ${cause instanceof Error ? cause.message : String(cause)}`, options);
    this.name = 'ReconcileError';
  }
}

/** Anything a test or the simulator can ask "is there work left?". */
export interface Quiescent {
  /**
   * True when nothing is running or ready to run, and nothing is scheduled to become ready within
   * `horizonMs` from now.
   */
  isIdle(horizonMs?: number): boolean;
}
