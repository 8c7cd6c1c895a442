/**
 * Writing a round's NodeClaims: concurrently, at most `parallelism` requests in flight, so a round
 * of many claims neither waits for each in turn nor floods the API server.
 */
import type { Clock } from '../../utils/clock.js';

/** Claims written at once by default (client-go's default QPS burst is ten; the API server takes far more). */
export const CREATE_PARALLELISM = 16;

/**
 * Calls `create` on every item, `parallelism` at a time, and answers each one's outcome in item
 * order. The first item goes alone for one clock tick (its launch starts before the others are
 * written, as on another thread in Karpenter), without waiting for its answer. Never rejects.
 * @throws RangeError for a parallelism below 1.
 */
export async function createConcurrently<T, R>(
  items: readonly T[], create: (item: T) => Promise<R>, clock: Clock, parallelism = CREATE_PARALLELISM,
): Promise<PromiseSettledResult<R>[]> {
  if (!(parallelism >= 1)) throw new RangeError(`creating NodeClaims: parallelism must be >= 1, got ${parallelism}`);
  const out: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await create(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  if (items.length === 0) return out;
  const workers = [worker()];
  if (items.length > 1) {
    await clock.sleep(0);
    const more = Math.min(parallelism, items.length) - 1;
    for (let w = 0; w < more; w++) workers.push(worker());
  }
  await Promise.all(workers);
  return out;
}
