/**
 * The kwok provider with the real KWOK controller (sigs.k8s.io/kwok, built from the Go module proxy)
 * in place of our node agent, on a real kube-apiserver: KWOK picks up the Nodes the provider creates
 * (by their kwok.x-k8s.io/node=fake annotation) and no other, makes them Ready, renews their Leases
 * and runs, then deletes, the pods bound to them.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { podSpec } from '../../kube/contract-support.js';
import { isNotFound } from '../../kube/errors.js';
import { RealKubeClient } from '../../kube/real/real-client.js';
import type { ControlPlane } from '../../test/control-plane.js';
import { startControlPlane } from '../../test/control-plane.js';
import type { RunningProcess } from '../../test/kwok-binary.js';
import { ensureKwok, reportedByKwok, startKwok } from '../../test/kwok-binary.js';
import { RealClock } from '../../utils/clock.js';
import { kwokCatalog } from '../catalog/kwok.js';
import { KwokCloudProvider } from './kwok-cloud-provider.js';
import { NODE_LEASE_NAMESPACE } from './node-agent.js';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from './node.js';

/** KWOK renews node Leases every quarter of this; short, so a renewal shows within seconds. */
const LEASE_SECONDS = 4;

const found = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
const isReady = (n: Node | undefined): boolean => n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Polls `check` every 100 ms until it returns a value; fails after `timeoutMs` with the last state seen and KWOK's log. */
async function until<T>(kwok: RunningProcess | undefined, what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}\nkwok log:\n${kwok?.logTail() ?? ''}`);
    await sleep(100);
  }
}

function claim(name: string): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' } },
  };
}

describe('the kwok provider with the real KWOK controller on kube-apiserver', () => {
  let cp: ControlPlane | undefined;
  let kwok: RunningProcess | undefined;
  let kube: RealKubeClient;
  before(async () => {
    // Build (or find) both sets of binaries first, side by side, so a fresh machine pays once.
    await ensureKwok();
    cp = await startControlPlane();
    kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    kwok = await startKwok({ kubeconfigPath: cp.kubeconfigPath, nodeLeaseDurationSeconds: LEASE_SECONDS });
  });
  after(async () => {
    await kwok?.stop();
    kube?.close();
    await cp?.stop();
  });

  it('keeps the Node it launches Ready with Lease heartbeats, runs a bound pod, and leaves other Nodes alone', async (t: TestContext) => {
    const t0 = performance.now();
    const provider = new KwokCloudProvider({
      kube, clock: new RealClock(), clusterName: 'real-kwok', registrationDelayMs: 0, instanceTypes: kwokCatalog({ cpus: [2] }),
    });
    // A Node of someone else's: KWOK's selector must not pick it up.
    await kube.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'not-ours' }, spec: {} });
    try {
      const launched = await provider.create(claim('real-kwok-1'));
      const name = launched.metadata.name!;
      const node = await until(kwok, 'KWOK to make the Node Ready', 20_000, async () => {
        const n = await found(kube.get('Node', name));
        return isReady(n) ? n! : `node ${n ? 'exists, not Ready' : 'missing'}`;
      });
      assert.equal(node.metadata.annotations?.[KWOK_NODE_ANNOTATION], KWOK_NODE_ANNOTATION_VALUE);
      assert.ok(reportedByKwok(node), 'KWOK, not our agent, reported the node');
      assert.deepEqual(node.status?.capacity, launched.status?.capacity, 'KWOK kept the capacity the provider registered');
      assert.deepEqual(node.status?.allocatable, launched.status?.allocatable);
      assert.equal(node.spec?.providerID, launched.status?.providerID);

      const lease = await until(kwok, 'the node Lease', 10_000, async () => (await found(kube.get('Lease', name, NODE_LEASE_NAMESPACE))) ?? 'no Lease');
      assert.equal(lease.spec.leaseDurationSeconds, LEASE_SECONDS);
      assert.deepEqual(lease.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [['Node', name, node.metadata.uid]]);
      const renewed = await until(kwok, 'a later Lease renewal', 10_000, async () => {
        const l = await kube.get('Lease', name, NODE_LEASE_NAMESPACE);
        return l.spec.renewTime !== lease.spec.renewTime ? l : `renewTime still ${lease.spec.renewTime}`;
      });
      assert.ok(Date.parse(renewed.spec.renewTime!) > Date.parse(lease.spec.renewTime!), 'the renewal moved forward');

      await kube.create('Pod', podSpec('on-kwok', 'default', {}, name));
      const pod = await until(kwok, 'the bound pod to run', 15_000, async () => {
        const p = await kube.get('Pod', 'on-kwok', 'default');
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return p.status?.phase === 'Running' && ready ? p : `phase ${p.status?.phase ?? '-'}`;
      });
      // Our PodStatus type does not model podIP: read it from the raw object.
      assert.match((pod.status as { podIP?: string } | undefined)?.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/, 'KWOK gave the pod an IP');
      await kube.delete('Pod', 'on-kwok', 'default');
      await until(kwok, 'KWOK to complete the graceful deletion', 15_000, async () => ((await found(kube.get('Pod', 'on-kwok', 'default'))) ? 'pod still there' : true));

      const other = await kube.get('Node', 'not-ours');
      assert.equal(isReady(other), false, 'KWOK left the Node without the annotation alone');
      assert.equal(await found(kube.get('Lease', 'not-ours', NODE_LEASE_NAMESPACE)), undefined);

      await provider.delete(launched);
      await until(kwok, 'the Node to be gone', 10_000, async () => ((await found(kube.get('Node', name))) ? 'node still there' : true));
      assert.deepEqual(await provider.list(), []);
      t.diagnostic(`launch to Ready, heartbeats, pod run and deleted, node gone: ${Math.round(performance.now() - t0)} ms`);
    } finally {
      provider.close();
      await kube.delete('Node', 'not-ours').catch(() => undefined);
    }
  });
});
