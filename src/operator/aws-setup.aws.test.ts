/**
 * `--cloud-provider aws` set up from parsed flags against moto: node classes come from the
 * KubeClient, a NodeClaim launches a tagged instance, and with --interruption-queue the leader's
 * runnable polls the queue (given by name or URL) and hands notices for our instances to
 * subscribers; a node class with a role gets its instance profile and finalizer, and loses both
 * when deleted.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CAPACITY_TYPE_LABEL, NODEPOOL_LABEL } from '../apis/labels.js';
import { NodeClaimNotFoundError, NodeClassNotReadyError } from '../cloudprovider/cloud-provider.js';
import type { AwsWorld } from '../cloudprovider/aws/fixtures.js';
import { awsClaim, awsNodePool, CLUSTER, ec2NodeClass, startAwsWorld, TEST_PATTERNS } from '../cloudprovider/aws/fixtures.js';
import { silentLogger } from '../controllers/context.js';
import type { InterruptionMessage } from '../controllers/interruption/source.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { MOTO_KUBERNETES_VERSION } from '../test/moto.js';
import { RealClock } from '../utils/clock.js';
import { awsSetup } from './aws-setup.js';
import { CLOUD_PROVIDER_FACTORIES, CloudProviderSetupError } from './cloud-providers.js';
import { NODE_CLASS_FINALIZER } from './ec2nodeclass-status.js';
import { isNotFound } from '../kube/errors.js';
import { parseOperatorOptions } from './options.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

/** A moto service through its query protocol (operator/ may not use the AWS SDK directly): the reply and its status. */
async function query(endpoint: string, service: 'sqs' | 'iam', params: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(endpoint, {
    method: 'POST',
    // moto picks the service from the credential scope of the (unchecked) signature.
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Version: service === 'sqs' ? '2012-11-05' : '2010-05-08', ...params }).toString(),
  });
  return { status: res.status, text: await res.text() };
}

async function sqsQuery(endpoint: string, params: Record<string, string>): Promise<string> {
  const { status, text } = await query(endpoint, 'sqs', params);
  assert.equal(status, 200, text);
  return text;
}

function awsOptions(w: AwsWorld, extra: string[] = []) {
  const r = parseOperatorOptions([
    '--cloud-provider', 'aws', '--aws-region', w.moto.region, '--aws-endpoint-url', w.moto.endpoint, '--cluster-name', CLUSTER,
    '--cluster-endpoint', 'https://api.test-cluster.example.com', '--cluster-ca-bundle', Buffer.from('test CA').toString('base64'),
    '--cluster-cidr', '10.100.0.0/16', '--kubernetes-version', MOTO_KUBERNETES_VERSION, ...extra,
  ], {});
  assert.equal(r.kind, 'options');
  return r.options;
}

const overrides = (w: AwsWorld) => ({ credentials: w.moto.credentials, instanceTypePatterns: TEST_PATTERNS, retry: { attempts: 4, baseMs: 20, maxMs: 200 } });

describe('--cloud-provider aws on moto', () => {
  it('is the factory of the aws name, and launches a NodeClaim with the EC2NodeClass read from the API server', async () => {
    const w = await world;
    const clock = new RealClock();
    const kube = new MemoryKubeClient({ clock });
    // The factory table builds without credentials overrides: it must at least construct.
    CLOUD_PROVIDER_FACTORIES.aws({ options: awsOptions(w), kube, clock, log: silentLogger }).close();
    const setup = awsSetup({ options: awsOptions(w), kube, clock, log: silentLogger }, overrides(w));
    try {
      assert.equal(setup.provider.name, 'aws');
      assert.equal(setup.interruptions, undefined, 'no queue: no interruptions');
      const runnables = setup.leaderRunnables();
      assert.deepEqual(runnables.map((r) => r.name), ['aws.ec2nodeclass-status']);
      const pool = awsNodePool();
      const claim = awsClaim(pool, { requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] });
      await assert.rejects(setup.provider.create(claim), NodeClassNotReadyError, 'no EC2NodeClass yet');
      await kube.create('EC2NodeClass', ec2NodeClass());
      const before = w.moto.faults.forwarded('CreateFleet');
      const launched = await setup.provider.create(claim);
      assert.equal(w.moto.faults.forwarded('CreateFleet') - before, 1);
      const providerID = launched.status!.providerID!;
      assert.match(providerID, /^aws:\/\/\/us-east-1[abc]\/i-[0-9a-f]+$/);
      const got = await setup.provider.get(providerID);
      assert.equal(got.metadata.name, claim.metadata.name);
      assert.equal(got.metadata.labels![NODEPOOL_LABEL], 'default');
      assert.ok((await setup.provider.list()).some((c) => c.status?.providerID === providerID));
      await setup.provider.delete(launched);
      await assert.rejects(setup.provider.get(providerID), NodeClaimNotFoundError);

      // The leader keeps the node class status current: resolved from moto, Ready.
      for (const r of runnables) await r.start();
      let status = (await kube.get('EC2NodeClass', 'default')).status;
      for (let i = 0; i < 100 && status?.conditions === undefined; i++) {
        await sleep(50);
        status = (await kube.get('EC2NodeClass', 'default')).status;
      }
      for (const r of runnables) await r.stop();
      assert.equal(status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', JSON.stringify(status?.conditions));
      assert.deepEqual(status?.subnets?.map((s) => s.id).sort(), w.subnets.map((s) => s.id).sort());
      assert.deepEqual(status?.securityGroups?.map((g) => g.id), [w.defaultGroup]);
      assert.equal(status?.instanceProfile, 'nodewright-node');
    } finally {
      setup.close();
      kube.close();
    }
  });

  it('with --interruption-queue naming a queue that does not exist, leading fails to start with an error naming it', async () => {
    const w = await world;
    const clock = new RealClock();
    const kube = new MemoryKubeClient({ clock });
    // options.ts still checks the flag as a URL (not this module's to change): the parsed value is set directly.
    const setup = awsSetup({ options: { ...awsOptions(w), interruptionQueue: 'no-such-queue' }, kube, clock, log: silentLogger }, overrides(w));
    try {
      const queueRunnable = setup.leaderRunnables().find((r) => r.name === 'aws.interruption-queue');
      assert.ok(queueRunnable);
      await assert.rejects(async () => queueRunnable.start(), (e: unknown) => e instanceof CloudProviderSetupError
        && /^--interruption-queue \(or INTERRUPTION_QUEUE\): interruption queue "no-such-queue" does not exist in this account and region/.test(e.message));
    } finally {
      setup.close();
      kube.close();
    }
  });

  it('the leader gives a node class with a role its instance profile and a finalizer, and deletes both with it', async () => {
    const w = await world;
    const role = await query(w.moto.directEndpoint, 'iam', {
      Action: 'CreateRole', RoleName: 'SetupNodeRole',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    assert.equal(role.status, 200, role.text);
    const clock = new RealClock();
    const kube = new MemoryKubeClient({ clock });
    const nodeClass = ec2NodeClass('with-role', { role: 'SetupNodeRole' });
    delete nodeClass.spec.instanceProfile;
    await kube.create('EC2NodeClass', nodeClass);
    const setup = awsSetup({ options: awsOptions(w), kube, clock, log: silentLogger }, overrides(w));
    const runnables = setup.leaderRunnables();
    try {
      for (const r of runnables) await r.start();
      let got = await kube.get('EC2NodeClass', 'with-role');
      for (let i = 0; i < 100 && got.status?.instanceProfile === undefined; i++) {
        await sleep(50);
        got = await kube.get('EC2NodeClass', 'with-role');
      }
      for (const r of runnables) await r.stop();
      const profile = got.status?.instanceProfile;
      assert.ok(profile, JSON.stringify(got.status?.conditions));
      assert.deepEqual(got.metadata.finalizers, [NODE_CLASS_FINALIZER]);
      const read = await query(w.moto.directEndpoint, 'iam', { Action: 'GetInstanceProfile', InstanceProfileName: profile });
      assert.equal(read.status, 200, read.text);
      assert.match(read.text, /<RoleName>SetupNodeRole<\/RoleName>/);

      await kube.delete('EC2NodeClass', 'with-role');
      const again = setup.leaderRunnables();
      for (const r of again) await r.start();
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(50);
        gone = await kube.get('EC2NodeClass', 'with-role').then(() => false, (e: unknown) => isNotFound(e));
      }
      for (const r of again) await r.stop();
      assert.ok(gone, 'the node class went once its profile was deleted');
      assert.equal((await query(w.moto.directEndpoint, 'iam', { Action: 'GetInstanceProfile', InstanceProfileName: profile })).status, 404);
    } finally {
      setup.close();
      kube.close();
    }
  });

  it('with --interruption-queue, polls the queue while leading and delivers notices for our instances', async () => {
    const w = await world;
    const created = await sqsQuery(w.moto.directEndpoint, { Action: 'CreateQueue', QueueName: 'nodewright-setup-test' });
    const queueUrl = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created)?.[1];
    assert.ok(queueUrl, created);
    const clock = new RealClock();
    const kube = new MemoryKubeClient({ clock });
    await kube.create('EC2NodeClass', ec2NodeClass());
    // By name: the URL is looked up with GetQueueUrl.
    const setup = awsSetup({ options: { ...awsOptions(w), interruptionQueue: 'nodewright-setup-test' }, kube, clock, log: silentLogger }, { ...overrides(w), sqsWaitTimeSeconds: 1 });
    const runnables = setup.leaderRunnables();
    try {
      const pool = awsNodePool();
      const launched = await setup.provider.create(awsClaim(pool, { requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['spot'] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }));
      const providerID = launched.status!.providerID!;
      const instanceId = /i-[0-9a-f]+$/.exec(providerID)![0];
      const got: InterruptionMessage[] = [];
      assert.ok(setup.interruptions);
      setup.interruptions.subscribe((m) => got.push(m));
      assert.deepEqual(runnables.map((r) => r.name), ['aws.ec2nodeclass-status', 'aws.interruption-queue']);
      for (const r of runnables) await r.start();
      await sqsQuery(w.moto.directEndpoint, {
        Action: 'SendMessage', QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ version: '0', id: 'evt-1', 'detail-type': 'EC2 Spot Instance Interruption Warning', source: 'aws.ec2', account: '123456789012', time: '2024-05-01T12:00:00Z', region: w.moto.region, resources: [], detail: { 'instance-id': instanceId, 'instance-action': 'terminate' } }),
      });
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(50);
      assert.equal(got.length, 1, 'one notice delivered');
      assert.equal(got[0]!.kind, 'SpotInterruption');
      assert.equal(got[0]!.providerID, providerID);
      await setup.provider.delete(launched);
    } finally {
      for (const r of [...runnables].reverse()) await r.stop();
      setup.close();
      kube.close();
    }
  });
});
