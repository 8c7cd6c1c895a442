/** Spot interruptions of the simulated cloud: the notice event, its subscribers, and whom a scheduled interruption hits. */
import type { Random } from '../../utils/random.js';

/** EC2 gives a spot instance two minutes' notice before reclaiming it. */
export const SPOT_INTERRUPTION_NOTICE_MS = 120_000;

export interface InterruptionEvent {
  readonly kind: 'SpotInterruption';
  readonly providerID: string;
  readonly instanceId: string;
  readonly claimName: string;
  readonly nodeName: string;
  /** When the notice was given. */
  readonly noticeAt: number;
  /** When the machine will be reclaimed. */
  readonly terminateAt: number;
}

/** At `at` (epoch ms), interrupt `count` (default 1) running spot machines, of a type or zone if given. */
export interface ScheduledInterruption {
  readonly at: number;
  readonly count?: number;
  readonly instanceType?: string;
  readonly zone?: string;
}

export type InterruptionListener = (event: InterruptionEvent) => void;

export class InterruptionNotifier {
  readonly #listeners = new Set<InterruptionListener>();

  /** @returns a function that unsubscribes (idempotent). */
  subscribe(listener: InterruptionListener): () => void {
    const wrapped: InterruptionListener = (e) => listener(e);
    this.#listeners.add(wrapped);
    return () => void this.#listeners.delete(wrapped);
  }

  /**
   * Calls every listener; one that throws does not stop the others.
   * @throws the first listener's error, after all were called.
   */
  emit(event: InterruptionEvent): void {
    let first: unknown;
    let failed = false;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (e) {
        if (!failed) first = e;
        failed = true;
      }
    }
    if (failed) throw first;
  }
}

/**
 * The machines a scheduled interruption hits: `count` of the candidates (all, if fewer), chosen
 * with `random` from the candidates in the order given, so the same run picks the same machines.
 * @throws RangeError unless count is a positive integer.
 */
export function pickVictims<T>(candidates: readonly T[], count: number, random: Random): T[] {
  if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`scheduled interruption count must be a positive integer, got ${count}`);
  return random.shuffle([...candidates]).slice(0, count);
}
