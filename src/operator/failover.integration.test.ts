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
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import type { NodeClaim } from '../apis/v1/types.js';
import { silentLogger } from '../controllers/context.js';
import { KubeError } from '../kube/errors.js';
import { Informer } from '../kube/informer.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import type { KubeClient } from '../kube/types.js';
import type { PollOptions } from '../test/cluster-waits.js';
import { readyNodeNames, runsOn, until, untilNothingLeft } from '../test/cluster-waits.js';
import type { CrdCluster } from '../test/kwok-cluster.js';
import { kwokNodePool, LOOPBACK_FLAGS, operatorOptions, pausePod, startCrdCluster, WHEN_EMPTY } from '../test/kwok-cluster.js';
import { lostLines, notable, OperatorProcess } from '../test/operator-process.js';
import { RealClock } from '../utils/clock.js';
import type { ControllerRegistration } from './controllers.js';
import { NotLeadingError, Operator } from './operator.js';

const PODS = 200;
const NS = 'default';
const LEASE_MS = 5_000;
const RENEW_MS = 4_000;
const RETRY_MS = 500;
/** These waits span kube-apiserver restarts and controllers being killed: an API error is a state not yet reached. */
const RETRY: PollOptions = { errors: 'retry' };

/**
 * A replica of the controller Deployment: a `nodewright controller` process that is started again
 * when it exits on its own (lost leadership ends the process, and the kubelet restarts the
 * container), until the test kills or stops it.
 */
function replica(c: CrdCluster, id: string, leaderElect: boolean): OperatorProcess {
  return new OperatorProcess({
    kubeconfigPath: c.cp.kubeconfigPath, restartOnExit: true,
    args: [
      `--leader-elect=${leaderElect}`, '--leader-election-namespace', NS, '--leader-election-identity', id,
      '--lease-duration', `${LEASE_MS}ms`, '--renew-deadline', `${RENEW_MS}ms`, '--retry-period', `${RETRY_MS}ms`, '--log-level', 'info',
      '--kwok-registration-delay', '1s', '--batch-idle-duration', '300ms', '--batch-max-duration', '3s', '--disruption-interval', '2s',
    ],
  });
}

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
  /** A watch started and synced. */
  static async started(kube: RealKubeClient): Promise<ClaimWatch> {
    const w = new ClaimWatch(kube);
    w.#informer.start();
    await w.#informer.waitForSync();
    return w;
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
    await Promise.all(Array.from({ length: Math.min(50, PODS - i) }, (_, j) => kube.create('Pod', pausePod(`${prefix}-${i + j}`, NS, 'load'))));
  }
}

/** Waits until the replica's current incarnation leads, failing with its notable log lines. */
function untilLeading(r: OperatorProcess, what: string): Promise<true> {
  return until(what, 60_000, () => Promise.resolve(r.leading() ? true : 'not yet'), { ...RETRY, context: () => notable(r.log) });
}

/** Every pod Running on a Ready node; every NodeClaim has its Node and every Node its claim. Returns the claims. */
async function settled(kube: RealKubeClient, timeoutMs: number, id: string, controller: OperatorProcess): Promise<number> {
  return until(`${PODS} pods Running, one NodeClaim per kwok Node`, timeoutMs, async () => {
    const [pods, nodes, claims] = await Promise.all([kube.list('Pod', { namespace: NS }), kube.list('Node'), kube.list('NodeClaim')]);
    const ready = readyNodeNames(nodes.items, false);
    const running = pods.items.filter((p) => runsOn(p, ready)).length;
    const claimNodes = claims.items.map((c) => c.status?.nodeName ?? '').sort();
    const nodeNames = nodes.items.map((n) => n.metadata.name ?? '').sort();
    if (running !== PODS) return `${running}/${pods.items.length} running, ${ready.size} ready nodes, ${claims.items.length} claims`;
    if (claimNodes.join() !== nodeNames.join()) return `claims on [${claimNodes.join()}] but nodes [${nodeNames.join()}]`;
    return claims.items.length;
  }, { ...RETRY, context: () => `${id}'s warnings and errors:\n${notable(controller.log)}` });
}

/** Deletes the pods and waits for the controller to remove every NodeClaim and Node. */
async function drainAway(kube: RealKubeClient): Promise<void> {
  const pods = (await kube.list('Pod', { namespace: NS })).items;
  await Promise.all(pods.map((p) => kube.delete('Pod', p.metadata.name!, NS, { gracePeriodSeconds: 0 }).catch(() => undefined)));
  await untilNothingLeft(kube, 60_000, { namespace: NS }, RETRY);
}

describe('failover under load on kube-apiserver with kube-scheduler and kwok nodes', () => {
  let c: CrdCluster | undefined;
  let kube: RealKubeClient;
  const procs: OperatorProcess[] = [];
  /** A replica, stopped after the tests if a test did not. */
  const start = (id: string, leaderElect: boolean): OperatorProcess => {
    const r = replica(c!, id, leaderElect);
    procs.push(r);
    return r;
  };
  let baseline = 0;
  before(async () => {
    c = await startCrdCluster({ scheduler: true });
    kube = c.kube;
    await kube.create('NodePool', kwokNodePool(WHEN_EMPTY));
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    c?.kube.close();
    await c?.cp.stop();
  });

  it(`baseline: one controller alone provisions ${PODS} pending pods`, async (t: TestContext) => {
    const claims = await ClaimWatch.started(kube);
    const a = start('solo', false);
    try {
      await untilLeading(a, 'the controller to lead');
      await createPods(kube, 'base');
      baseline = await settled(kube, 90_000, 'solo', a);
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
    const claims = await ClaimWatch.started(kube);
    const a = start('replica-a', true);
    await untilLeading(a, 'replica-a to lead');
    const b = start('replica-b', true);
    try {
      await until('replica-b to be up as a standby', 60_000, () => Promise.resolve(b.log.includes('nodewright controller started') ? true : 'not yet'), RETRY);
      const first = claims.next();
      await createPods(kube, 'failover');
      await first;
      await a.kill();
      const killedAt = performance.now();
      const inFlight = claims.created.size;
      await until('replica-b to hold the Lease', 2 * LEASE_MS + 5_000, async () => {
        const lease = await kube.get('Lease', 'nodewright-leader-election', NS);
        return lease.spec?.holderIdentity === 'replica-b' ? true : `held by ${lease.spec?.holderIdentity ?? 'nobody'}`;
      }, RETRY);
      const tookOver = performance.now() - killedAt;
      // The standby can only see the Lease expire LEASE_MS after the dead leader's last renewal, which
      // is at most a retry period before the kill; one more retry period to notice. The rest is slack
      // for a 2-core machine running the whole control plane.
      assert.ok(tookOver <= LEASE_MS + 2 * RETRY_MS + 1_500, `replica-b took the Lease ${Math.round(tookOver)} ms after the kill`);
      const total = await settled(kube, 90_000, 'replica-b', b);
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
    const claims = await ClaimWatch.started(kube);
    const a = start('restart', false);
    try {
      await untilLeading(a, 'the controller to lead');
      const first = claims.next();
      await createPods(kube, 'restart');
      await first;
      const t0 = performance.now();
      await c!.cp.restartApiServer();
      const outage = performance.now() - t0;
      const total = await settled(kube, 120_000, 'restart', a);
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
    const direct = RealKubeClient.fromSource({ kind: 'file', path: c!.cp.kubeconfigPath });
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
                // Whether the write was issued once stopping had begun (one issued just before may land after).
                const issuedWhileStopping = stopping;
                const error = await ctx.kube.recordEvent({
                  regarding: { kind: 'Pod', name: 'fence-probe', namespace: NS }, type: 'Normal', reason: 'Probe', note: `write ${i}`, action: 'Test',
                }).then(() => undefined, (e: unknown) => e);
                writes.push({ stopping: issuedWhileStopping, error });
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
    const options = operatorOptions(c!.cp.kubeconfigPath, [
      '--cloud-provider', 'kwok', ...LOOPBACK_FLAGS,
      '--leader-election-namespace', NS, '--leader-election-name', 'fence-test', '--leader-election-identity', 'fenced',
      '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '250ms',
    ]);
    const op = new Operator({ options, kube: kubeOf, log: silentLogger, controllers: [writer] });
    try {
      await op.start();
      await until('the operator to lead and write', 60_000, () => Promise.resolve(writes.length >= 3 ? true : `${writes.length} writes`), RETRY);
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
