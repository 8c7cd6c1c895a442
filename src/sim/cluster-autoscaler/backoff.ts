/**
 * Exponential backoff of node groups whose scale-up failed, as the Cluster Autoscaler's
 * exponentialBackoff: the first failure backs a group off for the initial duration; a failure after
 * the backoff ended doubles it (up to the maximum); failures while backed off keep the duration;
 * a group with no failure for the reset timeout starts over.
 */

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetTimeoutMs: number;
}

interface Info {
  durationMs: number;
  until: number;
  lastFailure: number;
}

export class NodeGroupBackoff {
  readonly #o: BackoffOptions;
  readonly #info = new Map<string, Info>();

  constructor(options: BackoffOptions) {
    this.#o = options;
  }

  /** Backs the group off from `now`. @returns the end of the backoff and its length. */
  backoff(group: string, now: number): { until: number; durationMs: number } {
    const prev = this.#info.get(group);
    let durationMs = this.#o.initialMs;
    if (prev && now - prev.lastFailure < this.#o.resetTimeoutMs) {
      durationMs = prev.until <= now ? Math.min(this.#o.maxMs, 2 * prev.durationMs) : prev.durationMs;
    }
    const info = { durationMs, until: now + durationMs, lastFailure: now };
    this.#info.set(group, info);
    return { until: info.until, durationMs };
  }

  isBackedOff(group: string, now: number): boolean {
    const info = this.#info.get(group);
    return info !== undefined && now < info.until;
  }

  /** The end of the group's current backoff, if it is backed off at `now`. */
  backedOffUntil(group: string, now: number): number | undefined {
    const info = this.#info.get(group);
    return info !== undefined && now < info.until ? info.until : undefined;
  }

  /** A successful scale-up ends the group's backoff (the Cluster Autoscaler's RemoveBackoff). */
  clear(group: string): void {
    this.#info.delete(group);
  }
}
