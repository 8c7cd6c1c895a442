/**
 * Interruption messages sent to moto's SQS queue, as EventBridge would, read by the SQS source and
 * acted on by the interruption controller in an embedded cluster whose machines are moto instances
 * launched by the AWS provider.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { CAPACITY_TYPE_LABEL, HOSTNAME_LABEL, INITIALIZED_LABEL, INSTANCE_TYPE_LABEL, REGISTERED_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { InterruptionController } from '../../controllers/interruption/controller.js';
import type { InterruptionSource } from '../../controllers/interruption/source.js';
import { isNotFound } from '../../kube/errors.js';
import type { TestEnv } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { formatKubeTime } from '../../utils/clock.js';
import { sqsClient } from './clients.js';
import type { AwsWorld } from './fixtures.js';
import { awsClaim, awsNodePool, awsProvider, ec2NodeClass, NodeClasses, startAwsWorld } from './fixtures.js';
import { SqsInterruptionSource } from './interruption/sqs-source.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

/** The claim and its Node in the embedded cluster, as the lifecycle controller leaves them. */
async function register(env: TestEnv, launched: NodeClaim): Promise<void> {
  const name = launched.metadata.name!;
  await env.kube.create('NodeClaim', { ...launched, status: undefined });
  const now = formatKubeTime(env.clock.now());
  await env.kube.create('Node', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { ...launched.metadata.labels, [HOSTNAME_LABEL]: name, [REGISTERED_LABEL]: 'true', [INITIALIZED_LABEL]: 'true' } },
    spec: { providerID: launched.status!.providerID },
    status: { capacity: launched.status!.capacity, allocatable: launched.status!.allocatable, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] },
  });
  await env.kube.patchStatus('NodeClaim', name, {
    status: { ...launched.status, nodeName: name, conditions: ['Launched', 'Registered', 'Initialized', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })) },
  });
}

const instanceId = (c: NodeClaim): string => /i-[0-9a-f]+$/.exec(c.status!.providerID!)![0];

function event(detailType: string, detail: Record<string, unknown>, source = 'aws.ec2'): string {
  return JSON.stringify({ version: '0', id: `evt-${Math.random()}`, 'detail-type': detailType, source, account: '123456789012', time: '2024-05-01T12:00:00Z', region: 'us-east-1', resources: [], detail });
}

describe('interruption messages on moto SQS', () => {
  it('are parsed, matched to instances and drive the interruption controller', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const pool = awsNodePool();
    const spot = { key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: ['spot'] };
    const amd64 = { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] };
    const [interrupted, rebalanced, scheduled] = [
      await provider.create(awsClaim(pool, { requirements: [spot, amd64] })),
      await provider.create(awsClaim(pool, { requirements: [spot, amd64] })),
      await provider.create(awsClaim(pool, { requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] }, amd64] })),
    ];
    const env = await makeTestEnv({ cloud: 'fake', instanceTypes: [] });
    try {
      await env.kube.create('NodePool', pool);
      for (const c of [interrupted, rebalanced, scheduled]) await register(env, c);
      await env.settle();

      const sqs = sqsClient({ region: w.moto.region, endpoint: w.moto.endpoint, credentials: w.moto.credentials });
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'nodewright-interruptions' }))).QueueUrl!;
      const bodies = [
        event('EC2 Spot Instance Interruption Warning', { 'instance-id': instanceId(interrupted), 'instance-action': 'terminate' }),
        event('EC2 Instance Rebalance Recommendation', { 'instance-id': instanceId(rebalanced) }),
        event('AWS Health Event', { service: 'EC2', eventTypeCategory: 'scheduledChange', startTime: 'Wed, 01 May 2024 18:00:00 GMT', affectedEntities: [{ entityValue: instanceId(scheduled) }] }, 'aws.health'),
        event('EC2 Instance State-change Notification', { 'instance-id': instanceId(rebalanced), state: 'running' }),
        event('EC2 Spot Instance Interruption Warning', { 'instance-id': 'i-00000000000000000', 'instance-action': 'terminate' }),
        'this is not JSON',
      ];
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }));

      const problems: string[] = [];
      const source = new SqsInterruptionSource({
        sqs, queueUrl, clock: env.clock, autoPoll: false, waitTimeSeconds: 0,
        providerIDs: (ids) => provider.providerIDsOf(ids), onProblem: (p) => problems.push(p),
      });
      const asSource: InterruptionSource = source; // the controller's interface, structurally
      const controller = new InterruptionController(env.ctx, asSource);
      controller.start();
      let total = { received: 0, delivered: 0, ignored: 0, malformed: 0, kept: 0 };
      for (let i = 0; i < 5 && total.received < bodies.length; i++) {
        const r = await source.pollOnce();
        total = { received: total.received + r.received, delivered: total.delivered + r.delivered, ignored: total.ignored + r.ignored, malformed: total.malformed + r.malformed, kept: total.kept + r.kept };
      }
      assert.deepEqual(total, { received: 6, delivered: 3, ignored: 1, malformed: 1, kept: 0 });
      assert.equal(problems.length, 2, problems.join('\n'));
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '0', 'every message deleted');
      assert.equal(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible, '0');

      await env.settle([controller]);
      await controller.stop();
      const gone = async (c: NodeClaim): Promise<boolean> => env.kube.get('NodeClaim', c.metadata.name!).then((x) => x.metadata.deletionTimestamp !== undefined, (e: unknown) => {
        if (isNotFound(e)) return true;
        throw e;
      });
      assert.equal(await gone(interrupted), true, 'the interrupted spot machine is being replaced');
      assert.equal(await gone(scheduled), true, 'the machine with scheduled maintenance too');
      assert.equal(await gone(rebalanced), false, 'a rebalance recommendation changes nothing');
      const labels = interrupted.metadata.labels!;
      assert.ok(env.ctx.unavailableOfferings.isUnavailable(labels[INSTANCE_TYPE_LABEL]!, labels[ZONE_LABEL]!, 'spot'), 'its spot offering is marked unavailable');
      const summaries = env.decisions.filter((d) => d.kind === 'interruption').map((d) => d.summary);
      assert.ok(summaries.some((s) => s.startsWith('SpotInterruption of node')), summaries.join('\n'));
      assert.ok(summaries.some((s) => s.startsWith('ScheduledChange of node')), summaries.join('\n'));
      assert.ok(summaries.some((s) => s.startsWith('rebalance recommendation')), summaries.join('\n'));
    } finally {
      await env.stop();
      for (const c of [interrupted, rebalanced, scheduled]) await provider.delete(c).catch(() => undefined);
    }
  });
});
