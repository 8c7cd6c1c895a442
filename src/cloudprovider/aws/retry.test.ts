import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../utils/clock.js';
import { CloudProviderError } from '../cloud-provider.js';
import { awsError, awsErrorInfo, isNotFound } from './errors.js';
import { allPages, backoffMs, checkRetryPolicy, retrier } from './retry.js';

/** An error shaped as the SDK throws them. */
function sdkError(code: string, status: number, requestId = 'req-1'): Error {
  return Object.assign(new Error(`${code} happened`), { name: code, Code: code, $metadata: { httpStatusCode: status, requestId } });
}

describe('AWS errors', () => {
  it('reads code, request id and status; throttling, 5xx and network failures are retryable', () => {
    const throttled = awsError('launching x', sdkError('RequestLimitExceeded', 503, 'abc'));
    assert.equal(throttled.retryable, true);
    assert.equal(throttled.requestId, 'abc');
    assert.equal(throttled.message, 'launching x: RequestLimitExceeded: RequestLimitExceeded happened (request id abc)');
    assert.equal(awsError('x', sdkError('InternalError', 500)).retryable, true);
    assert.equal(awsError('x', sdkError('SomethingOdd', 502)).retryable, true);
    assert.equal(awsError('x', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).retryable, true);
    assert.equal(awsError('x', sdkError('UnauthorizedOperation', 403)).retryable, false);
    assert.equal(awsError('x', sdkError('InvalidParameterValue', 400)).retryable, false);
    assert.ok(isNotFound(awsErrorInfo(sdkError('InvalidInstanceID.NotFound', 400))));
    assert.equal(awsErrorInfo('plain').code, 'Unknown');
    const already = new CloudProviderError('kept');
    assert.equal(awsError('x', already), already);
  });
});

describe('retries on the clock', () => {
  const policy = { attempts: 4, baseMs: 1000, maxMs: 3000 };

  it('backoff doubles up to the cap, half of it fixed and half jitter', () => {
    assert.equal(backoffMs(policy, 1, () => 0), 500);
    assert.equal(backoffMs(policy, 1, () => 0.999999), 999.9995);
    assert.equal(backoffMs(policy, 2, () => 0), 1000);
    assert.equal(backoffMs(policy, 3, () => 0), 1500);
    assert.equal(backoffMs(policy, 9, () => 0.5), 2250);
    assert.throws(() => checkRetryPolicy({ attempts: 0, baseMs: 1, maxMs: 1 }), RangeError);
    assert.throws(() => checkRetryPolicy({ attempts: 1, baseMs: 2, maxMs: 1 }), RangeError);
  });

  it('waits in virtual time between tries, and succeeds once the throttling stops', async () => {
    const clock = new VirtualClock();
    const calls: number[] = [];
    const r = retrier(clock, policy, () => 0.5);
    let settled = false;
    const p = r.run('describing', () => {
      calls.push(clock.now());
      return calls.length < 3 ? Promise.reject(sdkError('Throttling', 400)) : Promise.resolve('ok');
    }).finally(() => {
      settled = true;
    });
    await clock.step(0);
    assert.equal(calls.length, 1);
    await clock.step(749);
    assert.equal(calls.length, 1, 'not before the first backoff (750 ms at jitter 0.5)');
    await clock.step(1);
    assert.equal(calls.length, 2);
    await clock.step(1500);
    assert.equal(await p, 'ok');
    assert.ok(settled);
    assert.deepEqual(calls.map((t) => t - calls[0]!), [0, 750, 2250]);
  });

  it('gives up after the last try with a retryable error saying so; non-retryable errors are not retried', async () => {
    const clock = new VirtualClock();
    const r = retrier(clock, policy, () => 0);
    let tries = 0;
    const p = r.run('launching', () => {
      tries++;
      return Promise.reject(sdkError('InternalError', 500, `id-${tries}`));
    });
    const caught = p.catch((e: unknown) => e);
    await clock.runUntilIdle();
    const e = await caught;
    assert.ok(e instanceof CloudProviderError);
    assert.equal(tries, 4);
    assert.equal(e.retryable, true);
    assert.equal(e.requestId, 'id-4');
    assert.match(e.message, /^launching: InternalError: .* \(request id id-4\) \(after 4 tries\)$/);

    let once = 0;
    await assert.rejects(r.run('x', () => {
      once++;
      return Promise.reject(sdkError('InvalidParameterValue', 400));
    }), (err: unknown) => err instanceof CloudProviderError && !err.retryable);
    assert.equal(once, 1);
  });

  it('a check before each retry can end the loop with a result (a launch that did happen)', async () => {
    const clock = new VirtualClock();
    const r = retrier(clock, policy, () => 0);
    let tries = 0;
    const p = r.run('launching', () => {
      tries++;
      return Promise.reject(sdkError('InternalError', 500));
    }, () => Promise.resolve({ done: 'found' }));
    await clock.runUntilIdle();
    assert.equal(await p, 'found');
    assert.equal(tries, 1);
  });

  it('allPages follows NextToken through the retrier', async () => {
    const clock = new VirtualClock();
    const pages: Record<string, { NextToken?: string; items: number[] }> = { start: { NextToken: 'b', items: [1] }, b: { NextToken: 'c', items: [2] }, c: { items: [3] } };
    let failedOnce = false;
    const p = allPages(retrier(clock, policy, () => 0), 'listing', (token) => {
      if (token === 'b' && !failedOnce) {
        failedOnce = true;
        return Promise.reject(sdkError('RequestLimitExceeded', 503));
      }
      return Promise.resolve(pages[token ?? 'start']!);
    });
    await clock.runUntilIdle();
    assert.deepEqual((await p).flatMap((x) => x.items), [1, 2, 3]);
  });
});
