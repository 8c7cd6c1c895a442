/**
 * Calls to AWS with retries: throttling and transient failures are retried with exponential backoff
 * and jitter, waiting on the injected Clock (the SDK's own retries are turned off, see clients.ts).
 */
import type { Clock } from '../../utils/clock.js';
import { CloudProviderError } from '../cloud-provider.js';
import { awsError } from './errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included (1: no retry). */
  readonly attempts: number;
  /** Backoff before the second try; doubles each time, capped at maxMs. */
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Six tries over about half a minute at worst, like the SDK's adaptive mode but on our clock. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ attempts: 6, baseMs: 500, maxMs: 20_000 });

/**
 * The wait before try `attempt + 1` (attempt counts from 1): half of min(maxMs, baseMs × 2^(attempt−1))
 * fixed plus up to the same again at random, so retries of many callers spread out but never come
 * back at once. `random` returns [0, 1).
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return cap / 2 + (cap / 2) * random();
}

/** @throws RangeError unless attempts is a positive integer and the delays non-negative, base <= max. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isSafeInteger(policy.attempts) || policy.attempts < 1) throw new RangeError(`retry attempts must be a positive integer, got ${policy.attempts}`);
  if (!(policy.baseMs >= 0) || !(policy.maxMs >= policy.baseMs)) {
    throw new RangeError(`retry delays must satisfy 0 <= baseMs <= maxMs, got ${policy.baseMs} and ${policy.maxMs}`);
  }
  return policy;
}

export interface Retrier {
  /**
   * Runs `fn` until it succeeds, fails for good or runs out of tries. Failures are mapped with
   * awsError(what, e); retryable ones are retried after {@link backoffMs} on the clock.
   * `beforeRetry`, when given, runs before each retry and may end the loop with a result (a launch
   * checks whether a lost reply had in fact launched the machine).
   * @throws CloudProviderError: the first non-retryable failure, or the last retryable one with
   *   "after N tries" added (still `retryable`, so the caller's own requeue can try later).
   */
  run<T>(what: string, fn: () => Promise<T>, beforeRetry?: () => Promise<{ done: T } | undefined>): Promise<T>;
}

/** A Retrier on this clock and policy (random: jitter source, default Math.random). */
export function retrier(clock: Clock, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): Retrier {
  checkRetryPolicy(policy);
  return {
    async run<T>(what: string, fn: () => Promise<T>, beforeRetry?: () => Promise<{ done: T } | undefined>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        let error: CloudProviderError;
        try {
          return await fn();
        } catch (e) {
          error = awsError(what, e);
        }
        if (!error.retryable) throw error;
        if (attempt >= policy.attempts) {
          throw new CloudProviderError(`${error.message} (after ${attempt} tries)`, {
            retryable: true,
            ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
            cause: error,
          });
        }
        await clock.sleep(backoffMs(policy, attempt, random));
        if (beforeRetry) {
          const settled = await beforeRetry();
          if (settled) return settled.done;
        }
      }
    },
  };
}

/**
 * Every page of a paginated call, each page fetched through the retrier: `fetch(token)` returns a
 * page and its NextToken. Stops at `maxPages` (default 1000) to bound a server that never ends.
 * @throws CloudProviderError as Retrier.run does, naming the page.
 */
export async function allPages<P extends { NextToken?: string | undefined }>(
  retry: Retrier,
  what: string,
  fetch: (token: string | undefined) => Promise<P>,
  maxPages = 1000,
): Promise<P[]> {
  const pages: P[] = [];
  let token: string | undefined;
  do {
    const page = await retry.run(pages.length === 0 ? what : `${what} (page ${pages.length + 1})`, () => fetch(token));
    pages.push(page);
    token = page.NextToken === '' ? undefined : page.NextToken;
  } while (token !== undefined && pages.length < maxPages);
  return pages;
}
