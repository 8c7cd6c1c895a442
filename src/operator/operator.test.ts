import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeClaim } from '../apis/v1/types.js';
import { silentLogger } from '../controllers/context.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { VirtualClock } from '../utils/clock.js';
import { CloudProviderSetupError } from './cloud-providers.js';
import type { ControllerRegistration } from './controllers.js';
import { runController } from './main.js';
import type { Operator } from './operator.js';
import { Operator as OperatorClass } from './operator.js';
import type { OperatorOptions } from './options.js';
import { parseOperatorOptions } from './options.js';

const BASE_ARGS = ['--cloud-provider', 'kwok', '--metrics-port', '0', '--health-probe-port', '0', '--bind-address', '127.0.0.1', '--kwok-registration-delay', '1s'];

function options(identity: string, extra: string[] = []): OperatorOptions {
  const r = parseOperatorOptions([...BASE_ARGS, '--leader-election-identity', identity, ...extra], {});
  assert.equal(r.kind, 'options');
  return r.options;
}

/** A controller that records when it runs, to check there is never more than one leader acting. */
function recorder(log: string[]): ControllerRegistration {
  return {
    name: 'test.recorder',
    build: (ctx) => ({
      start: () => { log.push(`start ${ctx.options.clusterName}@${ctx.clock.now()}`); },
      stop: () => { log.push(`stop@${ctx.clock.now()}`); return Promise.resolve(); },
    }),
  };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Steps virtual time until `check` holds (at most `limitMs`). */
async function until(clock: VirtualClock, check: () => boolean, limitMs = 60_000): Promise<void> {
  for (let t = 0; !check(); t += 100) {
    if (t > limitMs) assert.fail('condition not reached in time');
    await clock.step(100);
  }
}

const claim: NodeClaim = {
  metadata: { name: 'default-abc', labels: { 'karpenter.sh/nodepool': 'default' } },
  spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' } },
};

describe('Operator', () => {
  it('runs the controllers on one replica of two, serves probes and metrics on both, and fails over on stop', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const log: string[] = [];
    const make = (id: string): Operator => new OperatorClass({ options: options(id), clock, kube, log: silentLogger, controllers: [recorder(log)] });
    const a = make('a');
    const b = make('b');
    const portsA = await a.start();
    const portsB = await b.start();
    await until(clock, () => a.leading && a.running.length === 3);
    assert.deepEqual(a.running, ['kwok.recover', 'kwok.node-agent', 'test.recorder']);
    assert.equal(b.leading, false);
    assert.deepEqual(b.running, []);
    for (const ports of [portsA, portsB]) {
      assert.equal((await get(ports.health, '/readyz')).status, 200, 'ready on every replica once synced');
      assert.equal((await get(ports.health, '/healthz')).status, 200);
    }
    assert.match((await get(portsA.metrics, '/metrics')).body, /^leader_election_master_status\{name="nodewright-leader-election"\} 1$/m);
    assert.match((await get(portsB.metrics, '/metrics')).body, /^leader_election_master_status\{name="nodewright-leader-election"\} 0$/m);

    // The leader's cloud works end to end: a kwok launch registers and its node agent makes it Ready.
    const launched = await a.ctx.cloud.create(claim);
    assert.equal(launched.status?.providerID, 'kwok://test-zone-a/default-abc');
    await clock.step(1_000);
    await until(clock, () => a.state.node('default-abc')?.node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true);
    assert.match((await get(portsA.metrics, '/metrics')).body, /^karpenter_cloudprovider_duration_seconds_count\{controller="",method="Create",provider="kwok"\} 1$/m);

    await a.stop();
    assert.equal(await a.done, 'stopped');
    await assert.rejects(fetch(`http://127.0.0.1:${portsA.health}/healthz`));
    await until(clock, () => b.leading && b.running.length === 3, 5_000);
    assert.deepEqual(log.map((l) => l.split('@')[0]), ['start nodewright', 'stop', 'start nodewright']);
    const [, stoppedAt, startedAt] = log.map((l) => Number(l.split('@')[1]));
    assert.ok(startedAt! >= stoppedAt!, 'the second leader started after the first stopped');
    await b.stop();
    kube.close();
  });

  it('without leader election, starts the controllers once the cache has synced', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const log: string[] = [];
    const op = new OperatorClass({ options: options('solo', ['--leader-elect=false', '--kwok-node-agent=false', '--cluster-name', 'demo']), clock, kube, log: silentLogger, controllers: [recorder(log)] });
    assert.equal(op.state.synced, false);
    await op.start();
    await until(clock, () => op.running.length === 2);
    assert.deepEqual(op.running, ['kwok.recover', 'test.recorder']);
    assert.deepEqual(log.map((l) => l.split('@')[0]), ['start demo']);
    assert.equal(op.ctx.options.clusterName, 'demo');
    await op.stop();
    assert.deepEqual(log.map((l) => l.split('@')[0]), ['start demo', 'stop']);
    assert.equal(await op.done, 'stopped');
    await assert.rejects(op.start(), /already stopped/);
    kube.close();
  });

  it('ends as failed when a controller cannot be built', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const broken: ControllerRegistration = { name: 'broken', build: () => { throw new Error('bad wiring'); } };
    const op = new OperatorClass({ options: options('x', ['--leader-elect=false']), clock, kube, log: silentLogger, controllers: [broken] });
    await op.start();
    let end: string | undefined;
    void op.done.then((e) => { end = e; });
    await until(clock, () => end !== undefined);
    assert.equal(end, 'failed');
    kube.close();
  });

  it('refuses the aws provider until it is wired in', () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const r = parseOperatorOptions(['--cloud-provider', 'aws'], {});
    assert.equal(r.kind, 'options');
    assert.throws(() => new OperatorClass({ options: r.options, clock, kube, log: silentLogger }), CloudProviderSetupError);
    kube.close();
  });
});

describe('runController', () => {
  const io = (): { out: string[]; err: string[]; io: { stdout: (t: string) => void; stderr: (t: string) => void } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
  };

  it('prints --help, and exits 2 with the reason for bad flags or an unusable provider', async () => {
    const h = io();
    assert.equal(await runController(['--help'], h.io, { env: {} }), 0);
    assert.match(h.out.join(''), /--batch-idle-duration <duration>\n {6}env BATCH_IDLE_DURATION, default 1s/);
    const bad = io();
    assert.equal(await runController(['--cloud-provider', 'kwok', '--batch-idle-duration', '1x'], bad.io, { env: {} }), 2);
    assert.match(bad.err.join(''), /^nodewright controller: --batch-idle-duration: invalid duration "1x"/);
    const aws = io();
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    assert.equal(await runController([], aws.io, { env: { CLOUD_PROVIDER: 'aws' }, kube, clock, log: silentLogger }), 2);
    assert.match(aws.err.join(''), /--cloud-provider aws: missing required settings: --aws-region \(or AWS_REGION\)/);
    kube.close();
  });

  it('runs until a shutdown signal and exits 0', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    let signal: ((s: string) => void) | undefined;
    let unsubscribed = false;
    const h = io();
    const code = runController([...BASE_ARGS, '--leader-elect=false'], h.io, {
      env: {}, kube, clock, log: silentLogger, controllers: [],
      onShutdownSignal: (handler) => { signal = handler; return () => { unsubscribed = true; }; },
      onStarted: (op) => {
        void until(clock, () => op.running.length > 0).then(() => signal!('SIGTERM'));
      },
    });
    assert.equal(await code, 0);
    assert.ok(unsubscribed);
    assert.deepEqual(h.err, []);
    kube.close();
  });
});
