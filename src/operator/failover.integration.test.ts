/**
 * Failover under load on a real kube-apiserver + kube-scheduler, with `nodewright controller
 * --cloud-provider kwok` run as separate processes, as two replicas of the Deployment would run:
 *  - a baseline: one controller alone provisions 200 pending pods; the NodeClaims it creates are the
 *    reference count;
 *  - the leader is SIGKILLed as its first NodeClaim appears (its round's creates in flight); the
 *    standby takes the Lease within the lease duration, every pod ends Running, and no more NodeClaims
 *    exist than the baseline plus one (a round cut short is planned again from what was created; a
 *    re-plan of the remainder can pack one node less tightly, a launch twice for the same pods
 *    could not fit in that bound);
 *  - kube-apiserver is restarted as the first NodeClaim appears: the watches recover, every pod ends
 *    Running, and the same bound holds.
 * After each: every NodeClaim has its Node and every kwok Node its NodeClaim.
 *  - a leader cut off from its Lease (in-process, its API server link otherwise intact) cannot write
 *    once its term has ended, even while its controllers are still stopping.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../apis/core.js';
import { generateCrds } from '../apis/crds/index.js';
import type { NodeClaim, NodePool } from '../apis/v1/types.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../cloudprovider/catalog/kwok.js';
import { Informer } from '../kube/informer.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import { RealClock } from '../utils/clock.js';
import { silentLogger } from '../controllers/context.js';
import { KubeError } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import type { ControllerRegistration } from './controllers.js';
import { NotLeadingError, Operator } from './operator.js';
import { parseOperatorOptions } from './options.js';

const PODS = 200;
const NS = 'default';
const LEASE_MS = 5_000;
const RENEW_MS = 4_000;
const RETRY_MS = 500;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>, context: () => string = () => ''): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check().catch((e: unknown) => `error: ${String(e)}`);
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}\n${context()}`);
    await sleep(100);
  }
}

/**
 * A replica of the controller Deployment: a `nodewright controller` process that is started again
 * when it exits on its own (lost leadership ends the process, and the kubelet restarts the
 * container), until the test kills or stops it. `log` holds every incarnation's output.
 */
class Replica {
  log = '';
  restarts = 0;
  #child: ChildProcess;
  #exited: Promise<void> = Promise.resolve();
  #incarnation = '';
  #ended = false;
  constructor(readonly cp: ControlPlane, readonly id: string, readonly leaderElect: boolean) {
    this.#child = this.#spawn();
  }
  /** Whether the current incarnation has started the controllers. */
  leading(): boolean {
    return this.#incarnation.includes('leading: controllers started');
  }
  get exitCode(): number | null {
    return this.#child.exitCode;
  }
  #spawn(): ChildProcess {
    const child = spawn(process.execPath, [
      '--import', 'tsx', 'src/cli/main.ts', 'controller', '--cloud-provider', 'kwok', `--leader-elect=${this.leaderElect}`,
      '--leader-election-namespace', NS, '--leader-election-identity', this.id,
      '--lease-duration', `${LEASE_MS}ms`, '--renew-deadline', `${RENEW_MS}ms`, '--retry-period', `${RETRY_MS}ms`,
      '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0', '--log-level', 'info',
      '--kwok-registration-delay', '1s', '--batch-idle-duration', '300ms', '--batch-max-duration', '3s',
      '--disruption-interval', '2s',
    ], { cwd: repoRoot, env: { ...process.env, KUBECONFIG: this.cp.kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#incarnation = '';
    const onData = (b: Buffer): void => {
      this.#incarnation += b.toString();
      this.log = (this.log + b.toString()).slice(-200_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.#exited = new Promise((resolve) => child.once('exit', () => {
      resolve();
      if (this.#ended) return;
      this.restarts++;
      setTimeout(() => { if (!this.#ended) this.#child = this.#spawn(); }, 1_000);
    }));
    return child;
  }
  /** SIGKILL, as a machine dying would: not restarted. */
  async kill(): Promise<void> {
    this.#ended = true;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }
  /** SIGTERM (SIGKILL after 15 s), not restarted. Idempotent. */
  async stop(): Promise<void> {
    this.#ended = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    await Promise.race([this.#exited, sleep(15_000)]);
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

const pool: NodePool = {
  apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'default' },
  spec: {
    template: {
      spec: {
        requirements: [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In', values: ['4', '8'] }],
        nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      },
    },
    disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1s', budgets: [{ nodes: '100%' }] },
  },
};

const podOf = (name: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: 'load' } },
  spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
});

/** Every NodeClaim ever created (names are never reused), as seen by an informer that survives outages. */
class ClaimWatch {
  readonly created = new Set<string>();
  readonly #informer: Informer<'NodeClaim'>;
  #onFirst: (() => void) | undefined;
  constructor(kube: RealKubeClient) {
    this.#informer = new Informer(kube, 'NodeClaim', { clock: new RealClock(), backoff: { initialMs: 100, maxMs: 500 } });
    this.#informer.addHandler({
      onAdd: (c: NodeClaim) => {
        this.created.add(c.metadata.name!);
        this.#onFirst?.();
        this.#onFirst = undefined;
      },
    });
  }
  async start(): Promise<void> {
    this.#informer.start();
    await this.#informer.waitForSync();
  }
  /** Resolves when the next claim is created. */
  next(): Promise<void> {
    return new Promise((resolve) => (this.#onFirst = resolve));
  }
  stop(): Promise<void> {
    return this.#informer.stop();
  }
}

async function createPods(kube: RealKubeClient, prefix: string): Promise<void> {
  for (let i = 0; i < PODS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, PODS - i) }, (_, j) => kube.create('Pod', podOf(`${prefix}-${i + j}`))));
  }
}

/** Every pod Running on a Ready kwok node; every NodeClaim has its Node and every kwok Node its claim. Returns the claims. */
async function settled(kube: RealKubeClient, timeoutMs: number, controller: Replica): Promise<number> {
  return until(`${PODS} pods Running, one NodeClaim per kwok Node`, timeoutMs, async () => {
    const [pods, nodes, claims] = await Promise.all([kube.list('Pod', { namespace: NS }), kube.list('Node'), kube.list('NodeClaim')]);
    const ready = new Set(nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
    const running = pods.items.filter((p) => p.status?.phase === 'Running' && ready.has(p.spec?.nodeName)).length;
    const claimNodes = claims.items.map((c) => c.status?.nodeName ?? '').sort();
    const nodeNames = nodes.items.map((n) => n.metadata.name ?? '').sort();
    if (running !== PODS) return `${running}/${pods.items.length} running, ${ready.size} ready nodes, ${claims.items.length} claims`;
    if (claimNodes.join() !== nodeNames.join()) return `claims on [${claimNodes.join()}] but nodes [${nodeNames.join()}]`;
    return claims.items.length;
  }, () => `${controller.id}'s warnings and errors:\n${notable(controller.log)}`);
}

/** Why a replica lost leadership, from its log. */
function lostLines(log: string): string {
  return log.split('\n').filter((l) => l.includes('lost leadership')).map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l).join('; ');
}

/** The warn/error lines of a controller's log, and its last lines. */
function notable(log: string): string {
  const lines = log.split('\n');
  return [...lines.filter((l) => /"level":"(warn|error|fatal)"/.test(l)).slice(-30), '...', ...lines.slice(-15)].join('\n').slice(-8000);
}

/** Deletes the pods and waits for the controller to remove every NodeClaim and Node. */
async function drainAway(kube: RealKubeClient): Promise<void> {
  const pods = (await kube.list('Pod', { namespace: NS })).items;
  await Promise.all(pods.map((p) => kube.delete('Pod', p.metadata.name!, NS, { gracePeriodSeconds: 0 }).catch(() => undefined)));
  await until('every NodeClaim and Node to be gone', 60_000, async () => {
    const [claims, nodes, left] = await Promise.all([kube.list('NodeClaim'), kube.list('Node'), kube.list('Pod', { namespace: NS })]);
    const n = claims.items.length + nodes.items.length + left.items.length;
    return n === 0 ? true : `${claims.items.length} claims, ${nodes.items.length} nodes, ${left.items.length} pods`;
  });
}

describe('failover under load on kube-apiserver with kube-scheduler and kwok nodes', () => {
  let cp: ControlPlane | undefined;
  let kube: RealKubeClient;
  const procs: Replica[] = [];
  let baseline = 0;
  before(async () => {
    cp = await startControlPlane({ scheduler: true });
    const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
    for (const { crd } of generateCrds()) {
      await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
    }
    kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    await until('the CRDs to be served', 30_000, async () => {
      await Promise.all([kube.list('NodeClaim'), kube.list('NodePool')]);
      return true;
    });
    await kube.create('NodePool', pool);
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    kube?.close();
    await cp?.stop();
  });

  it(`baseline: one controller alone provisions ${PODS} pending pods`, async (t: TestContext) => {
    const claims = new ClaimWatch(kube);
    await claims.start();
    const a = new Replica(cp!, 'solo', false);
    procs.push(a);
    try {
      await until('the controller to lead', 60_000, () => Promise.resolve(a.leading() ? true : 'not yet'), () => notable(a.log));
      await createPods(kube, 'base');
      baseline = await settled(kube, 90_000, a);
      assert.equal(claims.created.size, baseline, 'no NodeClaim was created and then removed');
      t.diagnostic(`${PODS} pods on ${baseline} NodeClaims`);
      await drainAway(kube);
    } finally {
      await claims.stop();
      await a.stop();
    }
  });

  it('the standby takes over within the lease duration when the leader is killed mid-provisioning; nothing is launched twice', async (t: TestContext) => {
    assert.ok(baseline > 1, 'the baseline ran');
    const claims = new ClaimWatch(kube);
    await claims.start();
    const a = new Replica(cp!, 'replica-a', true);
    procs.push(a);
    await until('replica-a to lead', 60_000, () => Promise.resolve(a.leading() ? true : 'not yet'), () => notable(a.log));
    const b = new Replica(cp!, 'replica-b', true);
    procs.push(b);
    try {
      await until('replica-b to be up as a standby', 60_000, () => Promise.resolve(b.log.includes('nodewright controller started') ? true : 'not yet'));
      const first = claims.next();
      await createPods(kube, 'failover');
      await first;
      await a.kill();
      const killedAt = performance.now();
      const inFlight = claims.created.size;
      await until('replica-b to hold the Lease', 2 * LEASE_MS + 5_000, async () => {
        const lease = await kube.get('Lease', 'nodewright-leader-election', NS);
        return lease.spec?.holderIdentity === 'replica-b' ? true : `held by ${lease.spec?.holderIdentity ?? 'nobody'}`;
      });
      const tookOver = performance.now() - killedAt;
      // The standby can only see the Lease expire LEASE_MS after the dead leader's last renewal, which
      // is at most a retry period before the kill; one more retry period to notice. The rest is slack
      // for a 2-core machine running the whole control plane.
      assert.ok(tookOver <= LEASE_MS + 2 * RETRY_MS + 1_500, `replica-b took the Lease ${Math.round(tookOver)} ms after the kill`);
      const total = await settled(kube, 90_000, b);
      assert.ok(b.leading(), 'replica-b runs the controllers');
      assert.ok(claims.created.size <= baseline + 1,
        `${claims.created.size} NodeClaims were created (${inFlight} by the time the leader was killed), where one controller alone creates ${baseline}: some pods were launched for twice`);
      t.diagnostic(`killed the leader with ${inFlight} NodeClaims created; replica-b held the Lease ${Math.round(tookOver)} ms later; ${total} NodeClaims in the end (baseline ${baseline}); replica-b restarted ${b.restarts} times${b.restarts > 0 ? ` (${lostLines(b.log)})` : ''}`);
      await drainAway(kube);
    } finally {
      await claims.stop();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('kube-apiserver restarting during a scale-up: the watches recover, every pod runs, nothing is launched twice', async (t: TestContext) => {
    assert.ok(baseline > 1, 'the baseline ran');
    const claims = new ClaimWatch(kube);
    await claims.start();
    const a = new Replica(cp!, 'restart', false);
    procs.push(a);
    try {
      await until('the controller to lead', 60_000, () => Promise.resolve(a.leading() ? true : 'not yet'), () => notable(a.log));
      const first = claims.next();
      await createPods(kube, 'restart');
      await first;
      const t0 = performance.now();
      await cp!.restartApiServer();
      const outage = performance.now() - t0;
      const total = await settled(kube, 120_000, a);
      assert.equal(a.restarts, 0, `the controller kept running through the restart; its log:\n${notable(a.log)}`);
      assert.ok(claims.created.size <= baseline + 1, `${claims.created.size} NodeClaims were created where one uninterrupted run creates ${baseline}`);
      t.diagnostic(`kube-apiserver was down ${Math.round(outage)} ms; ${total} NodeClaims in the end (baseline ${baseline})`);
    } finally {
      await claims.stop();
      await a.stop();
    }
  });

  it('a leader cut off from its Lease writes nothing once its term has ended, while its controllers are still stopping', async () => {
    let cut = false;
    const direct = RealKubeClient.fromSource({ kind: 'file', path: cp!.kubeconfigPath });
    // Only the Lease is out of reach, as when a replica is partitioned from it or its renewals time out.
    const kubeOf = new Proxy(direct, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        const fn = (v as (...a: unknown[]) => unknown).bind(target);
        return (...args: unknown[]): unknown => (cut && args[0] === 'Lease' ? Promise.reject(new KubeError('Timeout', 'partitioned from the Lease')) : fn(...args));
      },
    }) as KubeClient;
    const writes: { stopping: boolean; error: unknown }[] = [];
    let stopping = false;
    const writer: ControllerRegistration = {
      name: 'test.writer',
      build: (ctx) => {
        const done = new AbortController();
        let loop: Promise<void> = Promise.resolve();
        return {
          start: () => {
            loop = (async () => {
              for (let i = 0; !done.signal.aborted; i++) {
                const error = await ctx.kube.recordEvent({
                  regarding: { kind: 'Pod', name: 'fence-probe', namespace: NS }, type: 'Normal', reason: 'Probe', note: `write ${i}`, action: 'Test',
                }).then(() => undefined, (e: unknown) => e);
                writes.push({ stopping, error });
                await sleep(100);
              }
            })();
          },
          // A graceful stop that waits for work in progress, which keeps trying to write meanwhile.
          stop: async () => {
            stopping = true;
            await sleep(1_500);
            done.abort();
            await loop;
          },
        };
      },
    };
    const r = parseOperatorOptions([
      '--cloud-provider', 'kwok', '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0',
      '--leader-election-namespace', NS, '--leader-election-name', 'fence-test', '--leader-election-identity', 'fenced',
      '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '250ms',
    ], { KUBECONFIG: cp!.kubeconfigPath });
    assert.equal(r.kind, 'options');
    const op = new Operator({ options: r.options, kube: kubeOf, log: silentLogger, controllers: [writer] });
    try {
      await op.start();
      await until('the operator to lead and write', 60_000, () => Promise.resolve(writes.length >= 3 ? true : `${writes.length} writes`));
      assert.ok(writes.every((w) => w.error === undefined), `writes while leading succeed: ${String(writes.find((w) => w.error)?.error)}`);
      cut = true;
      assert.equal(await op.done, 'lost-leadership');
      const late = writes.filter((w) => w.stopping);
      assert.ok(late.length >= 5, `the writer kept trying while stopping (${late.length} times)`);
      const landed = late.filter((w) => !(w.error instanceof NotLeadingError));
      assert.equal(landed.length, 0, `writes after the term ended must be refused; ${landed.length} were not: ${String(landed[0]?.error)}`);
    } finally {
      await op.stop();
      direct.close();
    }
  });
});
