/**
 * Controller restarts on a real kube-apiserver (with kube-scheduler, and kube-controller-manager's
 * disruption controller so PodDisruptionBudgets have a status and evictions honour them): `nodewright
 * controller --cloud-provider kwok` runs as its own process and is SIGKILLed and started again at
 * seeded random points, RESTARTS times in all, during a scale-up and then a scale-down with
 * consolidation. The test plays the ReplicaSet controller (none runs here): it keeps each set's pod
 * count at its desired replicas, creating replacements for pods that were evicted.
 *
 * Invariants, once the cluster has settled after the last restart:
 *  - pod-not-running: pods not Running on a Ready kwok Node;
 *  - leaked-instance: kwok Nodes (the machines) without a NodeClaim;
 *  - nodeclaim-without-instance: NodeClaims without their Node;
 *  - instance-launched-twice: a Node created again for a NodeClaim that already had one (the Node is named
 *    after its claim, so a claim launched twice shows as a second creation);
 *  - pdb-violated: times more pods of the PDB-covered set were unavailable at once (not Ready, being
 *    deleted, or on a Node that is gone) than the budget allows, counted from the moment the set first
 *    became fully available. Watched through informers on every pod and Node change.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from '../apis/core.js';
import { Informer } from '../kube/informer.js';
import type { RealKubeClient } from '../kube/real/real-client.js';
import { recordChaosFigures } from '../test/chaos-figures.js';
import type { PollOptions } from '../test/cluster-waits.js';
import { poll, readyNodeNames, runsOn } from '../test/cluster-waits.js';
import type { CrdCluster } from '../test/kwok-cluster.js';
import { kwokNodePool, pauseSpec, startCrdCluster } from '../test/kwok-cluster.js';
import { OperatorProcess } from '../test/operator-process.js';
import { RealClock } from '../utils/clock.js';
import { Random } from '../utils/random.js';

const SEED = Number(process.env['NODEWRIGHT_CHAOS_SEED'] ?? 7);
const RESTARTS_PER_PHASE = 5;
const NS = 'default';
const GUARDED = 6;
const MAX_UNAVAILABLE = 1;
const BULK_UP = 80;
const BULK_DOWN = 6;
/** What consolidation must get down to after the scale-down: 12 CPUs of requests fit on 2-3 nodes of 8. */
const CLAIMS_AFTER_DOWN = 5;
/** Settling spans controller restarts: an API error is a state not yet reached. */
const SETTLE: PollOptions = { intervalMs: 200, errors: 'retry' };

/**
 * The controller's one replica: `nodewright controller` leader-elected under a fixed identity (a
 * restarted container keeps its pod name, so it takes its own Lease back at once). `restart()` is
 * the chaos: SIGKILL and start again. An exit on its own (lost leadership) is restarted after a
 * second too, as the kubelet would, and counted apart (`restarts`).
 */
function replica(c: CrdCluster): OperatorProcess {
  return new OperatorProcess({
    kubeconfigPath: c.cp.kubeconfigPath, restartOnExit: true, logLimit: 20_000, stopGraceMs: 10_000,
    args: [
      '--leader-election-namespace', NS, '--leader-election-identity', 'chaos-replica',
      '--lease-duration', '6s', '--renew-deadline', '5s', '--retry-period', '500ms', '--log-level', 'warn',
      '--kwok-registration-delay', '1s', '--batch-idle-duration', '300ms', '--batch-max-duration', '3s',
      '--disruption-interval', '1s', '--consolidation-validation', '500ms',
    ],
  });
}

/** The ReplicaSet controller's part: keeps `desired` live pods per set, owned by that set's ReplicaSet. */
class ReplicaSets {
  readonly desired = new Map<string, number>();
  readonly #owners = new Map<string, { apiVersion: string; kind: string; name: string; uid: string; controller: boolean }>();
  readonly #kube: RealKubeClient;
  #next = 0;
  #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  constructor(kube: RealKubeClient) {
    this.#kube = kube;
  }
  async add(name: string, replicas: number, cpu: string): Promise<void> {
    const rs = await this.#kube.create('ReplicaSet', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: NS, labels: { app: name } },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pauseSpec(cpu) } },
    });
    this.#owners.set(name, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: rs.metadata.uid!, controller: true });
    this.#cpu.set(name, cpu);
    this.desired.set(name, replicas);
  }
  readonly #cpu = new Map<string, string>();
  start(): void {
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        await this.#syncAll().catch(() => undefined);
        await sleep(250);
      }
    })();
  }
  async #syncAll(): Promise<void> {
    for (const [name, want] of this.desired) {
      const pods = (await this.#kube.list('Pod', { namespace: NS, labelSelector: { matchLabels: { app: name } } })).items;
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const creates = Array.from({ length: Math.max(0, want - live.length) }, () => this.#kube.create('Pod', {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `${name}-${this.#next++}`, namespace: NS, labels: { app: name }, ownerReferences: [this.#owners.get(name)!] },
        spec: pauseSpec(this.#cpu.get(name)!),
      }));
      // Scaling down, as the ReplicaSet controller does: delete (not evict) the surplus, newest first.
      const surplus = live.slice(want).map((p) => this.#kube.delete('Pod', p.metadata.name!, NS, { gracePeriodSeconds: 0 }));
      await Promise.allSettled([...creates, ...surplus]);
    }
  }
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }
}

/** Counts simultaneous disruptions of the PDB-covered set and second launches of a claim, from informers. */
class Watchers {
  pdbViolations = 0;
  maxUnavailable = 0;
  doubleLaunches = 0;
  #armed = false;
  #over = false;
  readonly #nodesEverCreated = new Set<string>();
  readonly pods: Informer<'Pod'>;
  readonly nodes: Informer<'Node'>;
  constructor(kube: RealKubeClient) {
    const opts = { clock: new RealClock(), backoff: { initialMs: 100, maxMs: 500 } };
    this.pods = new Informer(kube, 'Pod', { ...opts, listOptions: { namespace: NS } });
    this.nodes = new Informer(kube, 'Node', opts);
    this.nodes.addHandler({
      onAdd: (n: Node) => {
        const name = n.metadata.name!;
        if (this.#nodesEverCreated.has(name)) this.doubleLaunches++;
        this.#nodesEverCreated.add(name);
        this.#check();
      },
      onUpdate: () => this.#check(),
      onDelete: () => this.#check(),
    });
    this.pods.addHandler({ onAdd: () => this.#check(), onUpdate: () => this.#check(), onDelete: () => this.#check() });
  }
  async start(): Promise<void> {
    this.pods.start();
    this.nodes.start();
    await Promise.all([this.pods.waitForSync(), this.nodes.waitForSync()]);
  }
  /** What the guarded pods looked like the first time the budget was exceeded. */
  firstViolation = '';
  #check(): void {
    // A Node being deleted is still draining (its pods run until evicted); only a Node that is gone takes its pods with it.
    const nodes = new Set(this.nodes.list().map((n) => n.metadata.name));
    const guarded = this.pods.list().filter((p) => p.metadata.labels?.['app'] === 'guarded');
    const why = (p: Pod): string | undefined => {
      if (p.metadata.deletionTimestamp) return 'terminating';
      if (!p.spec?.nodeName) return 'pending';
      if (!nodes.has(p.spec.nodeName)) return `node ${p.spec.nodeName} gone`;
      if (!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return 'not ready';
      return undefined;
    };
    const available = guarded.filter((p) => why(p) === undefined).length;
    const unavailable = GUARDED - available;
    if (!this.#armed) {
      this.#armed = unavailable === 0;
      return;
    }
    this.maxUnavailable = Math.max(this.maxUnavailable, unavailable);
    if (unavailable > MAX_UNAVAILABLE && !this.#over) {
      this.pdbViolations++;
      this.firstViolation ||= guarded.map((p) => `${p.metadata.name!}: ${why(p) ?? 'available'}`).join(', ');
    }
    this.#over = unavailable > MAX_UNAVAILABLE;
  }
  async stop(): Promise<void> {
    await Promise.all([this.pods.stop(), this.nodes.stop()]);
  }
}

interface Census { notRunning: number; leaked: number; claimsWithoutNode: number; claims: number; pods: number }

async function census(kube: RealKubeClient): Promise<Census> {
  const [pods, nodes, claims] = await Promise.all([kube.list('Pod', { namespace: NS }), kube.list('Node'), kube.list('NodeClaim')]);
  const ready = readyNodeNames(nodes.items, false);
  const claimNames = new Set(claims.items.map((c) => c.metadata.name));
  const nodeNames = new Set(nodes.items.map((n) => n.metadata.name));
  return {
    notRunning: pods.items.filter((p) => !runsOn(p, ready)).length,
    leaked: nodes.items.filter((n) => n.spec?.providerID?.startsWith('kwok://') && !claimNames.has(n.metadata.name)).length,
    claimsWithoutNode: claims.items.filter((c) => !nodeNames.has(c.metadata.name)).length,
    claims: claims.items.length,
    pods: pods.items.length,
  };
}

describe('controller restarts on kube-apiserver during a scale-up and a scale-down (chaos)', () => {
  let cluster: CrdCluster | undefined;
  let kube: RealKubeClient;
  let controller: OperatorProcess | undefined;
  let sets: ReplicaSets | undefined;
  let watchers: Watchers | undefined;
  before(async () => {
    cluster = await startCrdCluster({ scheduler: true, controllerManager: true });
    kube = cluster.kube;
    await kube.create('NodePool', kwokNodePool({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s', budgets: [{ nodes: '100%' }] }));
  });
  after(async () => {
    await sets?.stop();
    await watchers?.stop();
    await controller?.stop();
    cluster?.kube.close();
    await cluster?.cp.stop();
  });

  it(`survives ${2 * RESTARTS_PER_PHASE} SIGKILL restarts (seed ${SEED}) with every pod running, no leak, no double launch, no PDB violated`, async (t: TestContext) => {
    const random = new Random(SEED);
    watchers = new Watchers(kube);
    await watchers.start();
    sets = new ReplicaSets(kube);
    await kube.create('PodDisruptionBudget', {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded', namespace: NS },
      spec: { maxUnavailable: MAX_UNAVAILABLE, selector: { matchLabels: { app: 'guarded' } } },
    });
    await sets.add('guarded', GUARDED, '1500m');
    await sets.add('bulk', BULK_UP, '500m');
    controller = replica(cluster!);
    let restarts = 0;
    const restartAtRandom = async (): Promise<void> => {
      for (let i = 0; i < RESTARTS_PER_PHASE; i++) {
        // Seeded points: from a controller still loading to one in the middle of its work.
        await sleep(random.int(500, 5_000));
        await controller!.restart();
        restarts++;
      }
    };
    sets.start();
    await restartAtRandom();
    const up = await poll(90_000, async () => {
      const c = await census(kube);
      return c.notRunning + c.leaked + c.claimsWithoutNode === 0 && c.pods === GUARDED + BULK_UP ? c : JSON.stringify(c);
    }, SETTLE);
    assert.equal(typeof up, 'object', `the scale-up did not settle after ${restarts} restarts: ${JSON.stringify(up)}\n${controller.log}`);

    sets.desired.set('bulk', BULK_DOWN);
    const claimsBefore = (up as Census).claims;
    await restartAtRandom();
    // Settled: every pod runs, claims and nodes match, and consolidation has moved pods (guarded ones too) off the emptied nodes.
    const down = await poll(90_000, async () => {
      const c = await census(kube);
      const ok = c.notRunning + c.leaked + c.claimsWithoutNode === 0 && c.pods === GUARDED + BULK_DOWN && c.claims <= CLAIMS_AFTER_DOWN;
      return ok ? c : JSON.stringify(c);
    }, SETTLE);
    const final = typeof down === 'object' ? down : await census(kube);
    const violations = {
      'pod-not-running': final.notRunning + Math.abs(final.pods - (GUARDED + BULK_DOWN)),
      'leaked-instance': final.leaked,
      'nodeclaim-without-instance': final.claimsWithoutNode,
      'instance-launched-twice': watchers.doubleLaunches,
      'pdb-violated': watchers.pdbViolations,
    };
    recordChaosFigures('restarts-real', { restarts, violations });
    t.diagnostic(`${restarts} restarts (and ${controller.restarts} exits on lost leadership); ${(up as Census).claims} NodeClaims after the scale-up, ${final.claims} after the scale-down; ` +
      `most guarded pods unavailable at once: ${watchers.maxUnavailable}; violations ${JSON.stringify(violations)}` +
      (watchers.firstViolation ? `; guarded pods at the first budget overrun: ${watchers.firstViolation}` : ''));
    assert.equal(restarts, 2 * RESTARTS_PER_PHASE);
    assert.deepEqual(violations, { 'pod-not-running': 0, 'leaked-instance': 0, 'nodeclaim-without-instance': 0, 'instance-launched-twice': 0, 'pdb-violated': 0 },
      `after the scale-down: ${JSON.stringify(down)}\n${controller.log}`);
    assert.equal(typeof down, 'object', `consolidation did not get down to ${CLAIMS_AFTER_DOWN} NodeClaims after the scale-down (from ${claimsBefore}): ${JSON.stringify(down)}`);
  });
});
