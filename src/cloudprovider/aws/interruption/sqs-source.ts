/**
 * Interruption notices from an SQS queue that EventBridge feeds (Karpenter's interruption queue):
 * messages are received (long polling), parsed, the instances named are looked up to provider IDs,
 * each notice is handed to the subscribers, and the message is deleted. A message whose delivery
 * fails stays in the queue and comes back (at-least-once); malformed or irrelevant messages are
 * reported and deleted so they cannot block the queue.
 *
 * It has the shape of the interruption controller's InterruptionSource (controllers/interruption/
 * source.ts), stated here because cloudprovider/ may not import controllers/.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Clock } from '../../../utils/clock.js';
import type { RetryPolicy } from '../retry.js';
import { backoffMs, DEFAULT_RETRY_POLICY, retrier } from '../retry.js';
import type { InterruptionEvent, InterruptionKind } from './messages.js';
import { parseInterruptionMessage } from './messages.js';

/** One notice for one machine (the controller's InterruptionMessage). */
export interface InterruptionNotice {
  /** The SQS message id (with the instance id appended when one message names several). */
  readonly id: string;
  readonly kind: InterruptionKind;
  readonly providerID: string;
  readonly noticeAt: number;
  readonly terminateAt?: number;
}

export interface SqsInterruptionSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly clock: Clock;
  /** Instance id → provider ID, for the instances EC2 still knows (the others are dropped). */
  readonly providerIDs: (instanceIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  /** Long-polling wait of each receive (default 20 s, SQS's maximum). */
  readonly waitTimeSeconds?: number;
  /** Pause after an empty receive (default 0: long polling already waited). */
  readonly idleMs?: number;
  /** Start polling on the first subscription (default true; tests call pollOnce instead). */
  readonly autoPoll?: boolean;
  readonly retry?: RetryPolicy;
  /** Malformed or ignored messages and failed polls, in words (default: dropped). */
  readonly onProblem?: (problem: string) => void;
}

export interface PollResult {
  readonly received: number;
  readonly delivered: number;
  readonly ignored: number;
  readonly malformed: number;
  /** Messages left in the queue because a subscriber threw. */
  readonly kept: number;
}

export class SqsInterruptionSource {
  readonly name = 'sqs';
  readonly #o: SqsInterruptionSourceOptions;
  readonly #handlers = new Set<(notice: InterruptionNotice) => void>();
  readonly #retry;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;

  constructor(options: SqsInterruptionSourceOptions) {
    this.#o = options;
    this.#retry = retrier(options.clock, options.retry ?? DEFAULT_RETRY_POLICY);
  }

  /** Starts delivering to `handler`. @returns a function that stops delivery (idempotent). */
  subscribe(handler: (notice: InterruptionNotice) => void): () => void {
    const wrapped = (n: InterruptionNotice): void => handler(n);
    this.#handlers.add(wrapped);
    if (this.#o.autoPoll !== false && this.#loop === undefined) this.#start();
    return () => {
      this.#handlers.delete(wrapped);
      if (this.#handlers.size === 0) void this.stop();
    };
  }

  /** Stops polling and waits for the current poll to end. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
  }

  /**
   * Receives one batch (up to 10 messages), delivers what it holds and deletes the messages done with.
   * @throws CloudProviderError when SQS fails (after retries) or the instance look-up fails.
   */
  async pollOnce(signal?: AbortSignal): Promise<PollResult> {
    const { sqs, queueUrl } = this.#o;
    const out = await this.#retry.run(`receiving interruption messages from ${queueUrl}`, () => sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.#o.waitTimeSeconds ?? 20,
    }), signal === undefined ? {} : { abortSignal: signal }));
    const messages = out.Messages ?? [];
    const parsed: { message: Message; event: InterruptionEvent }[] = [];
    const done: Message[] = [];
    let ignored = 0;
    let malformed = 0;
    for (const message of messages) {
      const result = parseInterruptionMessage(message.Body ?? '');
      if (result.ok) {
        parsed.push({ message, event: result.event });
        continue;
      }
      if (result.ignored) ignored++;
      else malformed++;
      this.#o.onProblem?.(`interruption message ${message.MessageId ?? '?'} ${result.ignored ? 'ignored' : 'malformed'}: ${result.reason}`);
      done.push(message);
    }
    const ids = [...new Set(parsed.flatMap((p) => p.event.instanceIds))];
    const providerIDs = ids.length === 0 ? new Map<string, string>() : await this.#o.providerIDs(ids);
    let delivered = 0;
    let kept = 0;
    for (const { message, event } of parsed) {
      try {
        for (const instanceId of event.instanceIds) {
          const providerID = providerIDs.get(instanceId);
          if (providerID === undefined) continue;
          const id = event.instanceIds.length > 1 ? `${message.MessageId ?? ''}/${instanceId}` : message.MessageId ?? instanceId;
          const notice: InterruptionNotice = { id, kind: event.kind, providerID, noticeAt: event.noticeAt, ...(event.terminateAt === undefined ? {} : { terminateAt: event.terminateAt }) };
          for (const handler of [...this.#handlers]) handler(notice);
          delivered++;
        }
        done.push(message);
      } catch (e) {
        kept++;
        this.#o.onProblem?.(`interruption message ${message.MessageId ?? '?'}: a subscriber failed, leaving it for redelivery: ${(e as Error).message}`);
      }
    }
    const entries = done.filter((m) => m.ReceiptHandle !== undefined).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
    if (entries.length > 0) {
      await this.#retry.run(`deleting ${entries.length} handled interruption messages from ${queueUrl}`, () => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
    }
    return { received: messages.length, delivered, ignored, malformed, kept };
  }

  #start(): void {
    const abort = new AbortController();
    this.#abort = abort;
    const { clock } = this.#o;
    this.#loop = (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        try {
          const r = await this.pollOnce(abort.signal);
          failures = 0;
          if (r.received === 0 && (this.#o.idleMs ?? 0) > 0) await clock.sleep(this.#o.idleMs ?? 0, abort.signal);
        } catch (e) {
          if (abort.signal.aborted) break;
          this.#o.onProblem?.(`polling ${this.#o.queueUrl} for interruption messages failed: ${(e as Error).message}`);
          await clock.sleep(backoffMs(this.#o.retry ?? DEFAULT_RETRY_POLICY, ++failures, Math.random), abort.signal).catch(() => undefined);
        }
      }
    })().finally(() => {
      this.#loop = undefined;
    });
  }
}
