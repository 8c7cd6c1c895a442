import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { VirtualClock } from '../../../utils/clock.js';
import type { InterruptionNotice } from './sqs-source.js';
import { SqsInterruptionSource } from './sqs-source.js';

const spot = (id: string): string => JSON.stringify({ source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', time: '2024-05-01T12:00:00Z', detail: { 'instance-id': id } });

/** An in-memory queue answering the two commands the source sends. */
class FakeQueue {
  messages: { MessageId: string; ReceiptHandle: string; Body: string }[] = [];
  deleted: string[] = [];
  receives = 0;
  failReceives = 0;

  readonly client = {
    send: (command: unknown): Promise<unknown> => {
      if (command instanceof ReceiveMessageCommand) {
        this.receives++;
        if (this.failReceives > 0) {
          this.failReceives--;
          return Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
        }
        return Promise.resolve({ Messages: this.messages.filter((m) => !this.deleted.includes(m.ReceiptHandle)).slice(0, 10) });
      }
      if (command instanceof DeleteMessageBatchCommand) {
        this.deleted.push(...(command.input.Entries ?? []).map((e) => e.ReceiptHandle!));
        return Promise.resolve({});
      }
      return Promise.reject(new Error('unexpected command'));
    },
  } as unknown as SQSClient;

  add(id: string, body: string): void {
    this.messages.push({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: body });
  }
}

const providerIDs = (ids: readonly string[]): Promise<Map<string, string>> =>
  Promise.resolve(new Map(ids.filter((i) => i !== 'i-0000000000000dead').map((i) => [i, `aws:///us-east-1a/${i}`])));

describe('SqsInterruptionSource', () => {
  it('delivers notices with provider IDs, deletes what it handled, keeps what a subscriber failed on', async () => {
    const q = new FakeQueue();
    q.add('m1', spot('i-0000000000000abcd'));
    q.add('m2', spot('i-0000000000000dead'));
    q.add('m3', 'garbage');
    const problems: string[] = [];
    const source = new SqsInterruptionSource({ sqs: q.client, queueUrl: 'q', clock: new VirtualClock(), providerIDs, autoPoll: false, onProblem: (p) => problems.push(p) });
    const got: InterruptionNotice[] = [];
    source.subscribe((n) => got.push(n));
    const r = await source.pollOnce();
    assert.deepEqual(r, { received: 3, delivered: 1, ignored: 0, malformed: 1, kept: 0 });
    assert.deepEqual(got, [{ id: 'm1', kind: 'SpotInterruption', providerID: 'aws:///us-east-1a/i-0000000000000abcd', noticeAt: Date.parse('2024-05-01T12:00:00Z'), terminateAt: Date.parse('2024-05-01T12:02:00Z') }]);
    assert.deepEqual(q.deleted.sort(), ['rh-m1', 'rh-m2', 'rh-m3'], 'unknown instances and garbage are deleted too');
    assert.equal(problems.length, 1);

    q.add('m4', spot('i-0000000000000beef'));
    const unsubscribe = source.subscribe(() => {
      throw new Error('queue full');
    });
    const again = await source.pollOnce();
    assert.equal(again.kept, 1);
    assert.ok(!q.deleted.includes('rh-m4'), 'left for redelivery');
    unsubscribe();
  });

  it('polls on its own once subscribed, backs off on the clock after failures, and stops', async () => {
    const clock = new VirtualClock();
    const q = new FakeQueue();
    q.failReceives = 2;
    q.add('m1', spot('i-0000000000000abcd'));
    const source = new SqsInterruptionSource({ sqs: q.client, queueUrl: 'q', clock, providerIDs, idleMs: 1000, retry: { attempts: 1, baseMs: 100, maxMs: 1000 } });
    const got: string[] = [];
    const unsubscribe = source.subscribe((n) => got.push(n.id));
    await clock.step(0);
    assert.equal(q.receives, 1, 'first receive failed, now backing off');
    await clock.step(100);
    assert.equal(q.receives, 2);
    await clock.step(200);
    assert.deepEqual(got, ['m1'], 'delivered after the backoff');
    const before = q.receives;
    await clock.step(1000);
    assert.ok(q.receives > before, 'keeps polling after the idle pause');
    unsubscribe();
    await source.stop();
    const stopped = q.receives;
    await clock.step(10_000);
    assert.equal(q.receives, stopped, 'no polling after stop');
    assert.equal(clock.pendingTimers(), 0);
  });
});
