/**
 * What a controller process reaches the cluster and the cloud through, in chaos tests: a proxy that
 * lets the test watch every call (to check invariants as they happen, not only at the end) and
 * that a kill cuts off. A killed process makes no further call; calls it made before the kill land
 * (as requests already sent would), and their answers reach nobody who can act on them, because
 * the process's next call fails.
 */

/** The error every call of a killed process fails with. */
export class ProcessKilledError extends Error {
  constructor(readonly process: string, readonly method: string) {
    super(`${process}: calling ${method} after the process was killed`);
    this.name = 'ProcessKilledError';
  }
}

/** One process's lifeline: alive until kill(). */
export class ProcessFence {
  #killed = false;
  /** Calls left before the process dies (undefined: no such plan). */
  #callsLeft: number | undefined;
  constructor(readonly name: string) {}

  get killed(): boolean {
    return this.#killed;
  }

  /** Cuts the process off (idempotent). */
  kill(): void {
    this.#killed = true;
  }

  /**
   * Lets `calls` more calls through, then kills the process as the next one is made: a death
   * between any two calls, in the middle of a reconcile. @throws RangeError for a negative count.
   */
  killAfter(calls: number): void {
    if (!Number.isInteger(calls) || calls < 0) throw new RangeError(`killing a process after ${calls} calls: must be a whole number >= 0`);
    this.#callsLeft = calls;
  }

  /** Called before each call: whether it is refused (the process is dead, or dies now). */
  refuses(): boolean {
    if (this.#killed) return true;
    if (this.#callsLeft === undefined) return false;
    if (this.#callsLeft-- > 0) return false;
    this.kill();
    return true;
  }
}

/** Told about calls through a fenced object. */
export interface CallObserver {
  /** Before the call is made (not called for calls refused after a kill). May throw to fail the call. */
  before?(method: string, args: readonly unknown[]): void;
  /** After it resolved (whatever the fence says by then). */
  after?(method: string, args: readonly unknown[], result: unknown): void;
  /** After it rejected. */
  failed?(method: string, args: readonly unknown[], error: unknown): void;
}

/**
 * `target` seen through `fence`: every method call is refused with ProcessKilledError once the fence
 * is killed (a rejected promise for promise-returning methods; `watch`, which returns a stream, is
 * let through so a stopping informer can close it), and reported to `observer` otherwise.
 * Non-function properties pass through.
 */
export function fenced<T extends object>(target: T, fence: ProcessFence, observer: CallObserver = {}): T {
  return new Proxy(target, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      if (typeof v !== 'function') return v;
      const method = String(prop);
      const fn = v as (...a: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        if (method === 'watch') return fn.apply(t, args);
        if (fence.refuses()) return Promise.reject(new ProcessKilledError(fence.name, method));
        try {
          observer.before?.(method, args);
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
        const r = fn.apply(t, args);
        if (!(r instanceof Promise)) return r;
        return r.then(
          (value: unknown) => {
            observer.after?.(method, args, value);
            return value;
          },
          (e: unknown) => {
            observer.failed?.(method, args, e);
            throw e;
          },
        );
      };
    },
  });
}

/** Observers told in turn about every call. */
export function observers(...all: readonly CallObserver[]): CallObserver {
  return {
    before: (m, args) => {
      for (const o of all) o.before?.(m, args);
    },
    after: (m, args, r) => {
      for (const o of all) o.after?.(m, args, r);
    },
    failed: (m, args, e) => {
      for (const o of all) o.failed?.(m, args, e);
    },
  };
}
