/** Errors a test arranges for a fake's methods to throw: once (queued) or on every call. */

export class InjectedErrors<M extends string> {
  readonly #queued = new Map<M, Error[]>();
  readonly #always = new Map<M, Error>();

  /** The next `times` calls of `method` throw `error` (after any already queued). */
  failNext(method: M, error: Error, times = 1): void {
    const queue = this.#queued.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.#queued.set(method, queue);
  }

  /** Every call of `method` throws `error` until cleared (queued one-shot errors come first). */
  failAlways(method: M, error: Error): void {
    this.#always.set(method, error);
  }

  /** Forgets the errors of `method`, or of every method. */
  clear(method?: M): void {
    if (method === undefined) {
      this.#queued.clear();
      this.#always.clear();
    } else {
      this.#queued.delete(method);
      this.#always.delete(method);
    }
  }

  /** The error this call of `method` must throw, consuming a one-shot one; undefined: proceed. */
  take(method: M): Error | undefined {
    const queue = this.#queued.get(method);
    const next = queue?.shift();
    if (queue?.length === 0) this.#queued.delete(method);
    return next ?? this.#always.get(method);
  }

  /** One-shot errors not yet thrown, for `method` or all methods. */
  pending(method?: M): number {
    if (method !== undefined) return this.#queued.get(method)?.length ?? 0;
    let n = 0;
    for (const q of this.#queued.values()) n += q.length;
    return n;
  }
}
