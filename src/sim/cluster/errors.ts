/**
 * The error the embedded cluster's stand-ins report (they never throw out of an event handler or
 * timer: failures go to the `onError` callback they were given, and the work is retried or dropped
 * as the stand-in's contract says).
 */
export class StandInError extends Error {
  /** @param component the stand-in ("kube-scheduler", "kubelet", "replicaset default/web", …). */
  constructor(readonly component: string, message: string, options?: ErrorOptions) {
    super(`${component}: ${message}`, options);
    this.name = 'StandInError';
  }
}

/** Wraps anything thrown while `doing` something into a StandInError. */
export function standInError(component: string, doing: string, cause: unknown): StandInError {
  const text = cause instanceof Error ? cause.message : String(cause);
  return new StandInError(component, `${doing}: ${text}`, { cause });
}

const KEPT = 100;

/** Failures of one stand-in: counted, the latest kept, and passed on to the callback if any. */
export class ErrorLog {
  /** The most recent failures (at most 100). */
  readonly recent: StandInError[] = [];
  count = 0;

  constructor(readonly component: string, private readonly onError?: (e: StandInError) => void) {}

  report(doing: string, cause: unknown): void {
    const e = standInError(this.component, doing, cause);
    this.count++;
    this.recent.push(e);
    if (this.recent.length > KEPT) this.recent.shift();
    this.onError?.(e);
  }
}
