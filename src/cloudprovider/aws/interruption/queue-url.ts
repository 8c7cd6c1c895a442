/**
 * The interruption queue as the operator is given it: a queue URL, used as it is, or a queue name
 * (Karpenter's `--interruption-queue` takes the name), turned into its URL with GetQueueUrl.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { CloudProviderError } from '../../cloud-provider.js';
import { awsErrorInfo } from '../errors.js';
import type { Retrier } from '../retry.js';

/** SQS queue names: 1–80 letters, digits, "-" or "_", and ".fifo" at the end of FIFO queues. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const QUEUE_URL = /^https?:\/\/[^/\s]+\/\S+$/;

/** The queue does not exist (or is not visible to these credentials), or the name is not a queue name. */
export class QueueNotFoundError extends CloudProviderError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, ...options });
    this.name = 'QueueNotFoundError';
  }
}

/** Whether `queue` is given as a URL (then it is used as it is). */
export const isQueueUrl = (queue: string): boolean => QUEUE_URL.test(queue);

/**
 * The URL of the queue named or given by URL.
 * @throws QueueNotFoundError when the text is neither a URL nor a queue name, or SQS has no such
 *   queue; CloudProviderError when SQS fails otherwise (after retries).
 */
export async function resolveQueueUrl(sqs: SQSClient, retry: Retrier, queue: string): Promise<string> {
  if (isQueueUrl(queue)) return queue;
  if (!QUEUE_NAME.test(queue)) {
    throw new QueueNotFoundError(`interruption queue "${queue}" is neither a queue URL nor a queue name (1-80 letters, digits, "-" or "_")`);
  }
  try {
    const out = await retry.run(`looking up the URL of interruption queue ${queue}`, () => sqs.send(new GetQueueUrlCommand({ QueueName: queue })));
    if (out.QueueUrl === undefined) throw new QueueNotFoundError(`looking up the URL of interruption queue ${queue}: SQS answered without a URL`);
    return out.QueueUrl;
  } catch (e) {
    const info = awsErrorInfo(e instanceof CloudProviderError && e.cause !== undefined ? e.cause : e);
    if (/NonExistentQueue|QueueDoesNotExist/.test(info.code)) {
      throw new QueueNotFoundError(`interruption queue "${queue}" does not exist in this account and region (SQS: ${info.code})`, { cause: e });
    }
    throw e;
  }
}
