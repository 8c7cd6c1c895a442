import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EC2NodeClass } from '../apis/ec2nodeclass/types.js';
import { silentLogger } from '../controllers/context.js';
import type { InterruptionMessage } from '../controllers/interruption/source.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { VirtualClock } from '../utils/clock.js';
import { awsSettings, awsSetup, KubeNodeClassSource, LeaderInterruptionSource, NODE_CLASS_CACHE_TTL_MS, queueUrlOf } from './aws-setup.js';
import { CloudProviderSetupError } from './cloud-providers.js';
import { sqsClient } from '../cloudprovider/aws/clients.js';
import { retrier } from '../cloudprovider/aws/retry.js';
import type { OperatorOptions } from './options.js';
import { parseOperatorOptions } from './options.js';

function options(argv: string[], env: Record<string, string> = {}): OperatorOptions {
  const r = parseOperatorOptions(['--cloud-provider', 'aws', ...argv], env);
  assert.equal(r.kind, 'options');
  return r.options;
}

const COMPLETE = ['--aws-region', 'us-east-1', '--cluster-endpoint', 'https://api.example.com', '--cluster-ca-bundle', 'dGVzdCBDQQ==', '--kubernetes-version', '1.31'];

function rejects(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CloudProviderSetupError, `a CloudProviderSetupError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('aws settings', () => {
  it('names every missing setting with its flag and environment variable', () => {
    rejects(() => awsSettings(options([])), '--cloud-provider aws: missing required settings: --aws-region (or AWS_REGION), '
      + '--cluster-endpoint (or CLUSTER_ENDPOINT), --cluster-ca-bundle (or CLUSTER_CA_BUNDLE), --kubernetes-version (or KUBERNETES_VERSION)');
    rejects(() => awsSettings(options(COMPLETE.slice(2), {})), '--cloud-provider aws: missing required settings: --aws-region (or AWS_REGION)');
    rejects(() => awsSetup({ options: options(COMPLETE.slice(0, 6)), kube: new MemoryKubeClient({ clock: new VirtualClock() }), clock: new VirtualClock(), log: silentLogger }),
      /missing required settings: --kubernetes-version \(or KUBERNETES_VERSION\)$/);
  });

  it('builds the connection and cluster from flags or environment', () => {
    const s = awsSettings(options(COMPLETE.slice(2), { AWS_REGION: 'eu-west-1', CLUSTER_CIDR: '10.100.0.0/16', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', CLUSTER_NAME: 'prod' }));
    assert.deepEqual(s, {
      connection: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000' },
      cluster: { name: 'prod', endpoint: 'https://api.example.com', certificateAuthority: 'dGVzdCBDQQ==', cidr: '10.100.0.0/16' },
      kubernetesVersion: '1.31',
    });
  });

  it('refuses cluster settings user data cannot carry, and a plain http cluster endpoint', () => {
    rejects(() => awsSetup({
      options: options([...COMPLETE, '--cluster-endpoint', 'http://api.example.com']),
      kube: new MemoryKubeClient({ clock: new VirtualClock() }), clock: new VirtualClock(), log: silentLogger,
    }), /^--cloud-provider aws: cluster endpoint "http:\/\/api.example.com" must be an https URL/);
  });

  it('takes an interruption queue URL as it is, and refuses text that is neither a URL nor a queue name without asking SQS', async () => {
    // Nothing listens on port 9: any call to SQS would fail with ECONNREFUSED, not the errors below.
    const sqs = sqsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const retry = retrier(new VirtualClock(), { attempts: 1, baseMs: 0, maxMs: 0 });
    assert.equal(await queueUrlOf(sqs, retry, 'https://sqs.us-east-1.amazonaws.com/123456789012/q'), 'https://sqs.us-east-1.amazonaws.com/123456789012/q');
    for (const bad of ['my queue', 'q/../x', 'a'.repeat(81), '']) {
      await assert.rejects(queueUrlOf(sqs, retry, bad), (e: unknown) => e instanceof CloudProviderSetupError
        && /^--interruption-queue \(or INTERRUPTION_QUEUE\): interruption queue ".*" is neither a queue URL nor a queue name/.test(e.message));
    }
    sqs.destroy();
  });
});

function nodeClass(name: string, profile: string): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name },
    spec: { subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }], amiSelectorTerms: [{ alias: 'al2023@latest' }], instanceProfile: profile },
  };
}

describe('KubeNodeClassSource', () => {
  it('reads node classes through the API, reuses them for the TTL, and answers undefined for absent ones', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const source = new KubeNodeClassSource(kube, clock);
    assert.equal(await source.get('default'), undefined);
    const created = await kube.create('EC2NodeClass', nodeClass('default', 'one'));
    assert.equal((await source.get('default'))?.spec.instanceProfile, 'one', 'absence is not cached');
    await kube.update('EC2NodeClass', { ...created, spec: { ...created.spec, instanceProfile: 'two' } });
    assert.equal((await source.get('default'))?.spec.instanceProfile, 'one', 'cached within the TTL');
    await clock.advanceTo(clock.now() + NODE_CLASS_CACHE_TTL_MS);
    assert.equal((await source.get('default'))?.spec.instanceProfile, 'two', 'read again after the TTL');
    const got = await source.get('default');
    got!.spec.instanceProfile = 'mutated';
    assert.equal((await source.get('default'))?.spec.instanceProfile, 'two', 'callers get copies');
  });
});

class FakePoller {
  readonly handlers = new Set<(m: InterruptionMessage) => void>();
  stopped = false;
  subscribe(h: (m: InterruptionMessage) => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  send(m: InterruptionMessage): void {
    for (const h of this.handlers) h(m);
  }
}

describe('LeaderInterruptionSource', () => {
  it('carries subscriptions over to each term\'s queue poller and stops the poller when the term ends', async () => {
    const source = new LeaderInterruptionSource();
    const got: string[] = [];
    const unsubscribe = source.subscribe((m) => got.push(m.id));
    const first = new FakePoller();
    source.attach(first);
    first.send({ id: 'a', kind: 'SpotInterruption', providerID: 'aws:///z/i-1', noticeAt: 0 });
    await source.detach();
    assert.ok(first.stopped);
    assert.equal(first.handlers.size, 0);
    const second = new FakePoller();
    source.attach(second);
    second.send({ id: 'b', kind: 'SpotInterruption', providerID: 'aws:///z/i-1', noticeAt: 0 });
    unsubscribe();
    second.send({ id: 'c', kind: 'SpotInterruption', providerID: 'aws:///z/i-1', noticeAt: 0 });
    assert.deepEqual(got, ['a', 'b']);
  });
});
