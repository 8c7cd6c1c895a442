/**
 * Running controllers on a VirtualClock until there is nothing left to do: the way tests and the
 * simulator say "let the system settle" without sleeping in real time.
 */
import type { VirtualClock } from '../../utils/clock.js';
import type { Quiescent } from './reconciler.js';

/** The system did not settle within the limit, or is waiting on something not on the clock. */
export class QuiescenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuiescenceError';
  }
}

export interface SettleOptions {
  /** Work due within this many ms counts as pending (default 0: only what is ready or running). */
  horizonMs?: number;
  /** Give up after this much virtual time (default 1 h). */
  limitMs?: number;
}

/**
 * Steps the clock from timer to timer until every target is idle (see Quiescent.isIdle), and
 * returns the virtual time it took. Periodic timers (requeues, resyncs, watch timeouts) are fine:
 * time stops at the first instant everything is idle.
 * @throws QuiescenceError when the targets are still busy after `limitMs`, or busy with no timer
 *   pending (a reconcile waiting on a promise that only the outside world can settle).
 */
export async function settle(clock: VirtualClock, targets: readonly Quiescent[], options: SettleOptions = {}): Promise<number> {
  const start = clock.now();
  const horizon = options.horizonMs ?? 0;
  const deadline = start + (options.limitMs ?? 3_600_000);
  let stalls = 0;
  for (;;) {
    await clock.step(0);
    if (targets.every((t) => t.isIdle(horizon))) return clock.now() - start;
    const next = clock.nextTimerAt();
    if (next === undefined) {
      // Give promise chains that hop through several macrotasks a few more turns.
      if (++stalls > 50) throw new QuiescenceError('settling: still busy, and no timer is pending to move time forward');
      continue;
    }
    stalls = 0;
    if (next > deadline) {
      throw new QuiescenceError(`settling: still busy after ${deadline - start} ms of virtual time (next timer at ${new Date(next).toISOString()})`);
    }
    await clock.advanceTo(next);
  }
}
