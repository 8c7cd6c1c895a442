/**
 * The whole flow as on a real cluster with the real KWOK controller: the operator in-process with
 * `--cloud-provider kwok --kwok-node-agent=false`, KWOK (sigs.k8s.io/kwok, built from the Go module
 * proxy) keeping the provider's Nodes Ready and running their pods, kube-scheduler binding, and
 * kube-controller-manager's node lifecycle controller lifting the not-ready taint as it does on any
 * cluster. Pending pods become NodeClaims, KWOK's nodes take them, and scaling to zero leaves nothing.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../apis/core.js';
import { generateCrds } from '../apis/crds/index.js';
import type { NodePool } from '../apis/v1/types.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../cloudprovider/catalog/kwok.js';
import { silentLogger } from '../controllers/context.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import type { RunningProcess } from '../test/kwok-binary.js';
import { ensureKwok, reportedByKwok, startKwok, startNodeLifecycleController } from '../test/kwok-binary.js';
import { Operator } from './operator.js';
import { parseOperatorOptions } from './options.js';

const NS = 'default';
const PODS = 30;
const APP = 'web';

let kwok: RunningProcess | undefined;

/** Polls `check` every 100 ms until it returns a value; fails after `timeoutMs` with the last state seen and KWOK's log. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}\nkwok log:\n${kwok?.logTail(15) ?? ''}`);
    await sleep(100);
  }
}

const since = (t0: number): number => Math.round(performance.now() - t0);

/** Pools of kwok nodes of 4 or 8 CPUs (so 30 pods of 500m need several), consolidated once empty. */
const pool: NodePool = {
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name: 'default' },
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

const podTemplate = {
  metadata: { labels: { app: APP } },
  spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
};

/** The Deployment, its ReplicaSet and its pods, as its controllers would have made them (none run here). */
async function deployment(kube: RealKubeClient): Promise<void> {
  const spec = { replicas: PODS, selector: { matchLabels: { app: APP } }, template: podTemplate };
  const d = await kube.create('Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, namespace: NS }, spec });
  const rs = await kube.create('ReplicaSet', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name: `${APP}-1`, namespace: NS, labels: { app: APP },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: APP, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  });
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true };
  await Promise.all(Array.from({ length: PODS }, (_, i) => kube.create('Pod', {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${APP}-1-${i}`, namespace: NS, labels: { app: APP }, ownerReferences: [owner] },
    spec: podTemplate.spec,
  })));
}

const appPods = async (kube: RealKubeClient): Promise<Pod[]> => (await kube.list('Pod', { namespace: NS, labelSelector: { matchLabels: { app: APP } } })).items;

describe('the full flow on kube-apiserver with the real KWOK controller instead of our node agent', () => {
  let cp: ControlPlane | undefined;
  let lifecycle: RunningProcess | undefined;
  let kube: RealKubeClient;
  let op: Operator | undefined;
  before(async () => {
    await ensureKwok();
    cp = await startControlPlane({ scheduler: true });
    const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
    for (const { crd } of generateCrds()) {
      await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
    }
    kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    [kwok, lifecycle] = await Promise.all([startKwok({ kubeconfigPath: cp.kubeconfigPath }), startNodeLifecycleController(cp.kubeconfigPath)]);
    await until('the CRDs to be served', 30_000, async () => {
      try {
        await Promise.all([kube.list('NodeClaim'), kube.list('NodePool')]);
        return true;
      } catch (e) {
        return String(e);
      }
    });
    const r = parseOperatorOptions([
      '--cloud-provider', 'kwok', '--kwok-node-agent=false', '--binding', 'scheduler', '--leader-elect=false',
      '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0',
      '--kwok-registration-delay', '1s', '--batch-idle-duration', '200ms', '--batch-max-duration', '2s',
      '--disruption-interval', '1s', '--consolidation-validation', '500ms',
    ], { KUBECONFIG: cp.kubeconfigPath });
    assert.equal(r.kind, 'options');
    assert.equal(r.options.kwokNodeAgent, false);
    op = new Operator({ options: r.options, log: silentLogger });
    await op.start();
  });
  after(async () => {
    await op?.stop();
    kube?.close();
    await Promise.all([kwok?.stop(), lifecycle?.stop()]);
    await cp?.stop();
  });

  it(`provisions nodes that KWOK makes Ready for ${PODS} pods kube-scheduler marks Unschedulable, where they run`, async (t: TestContext) => {
    await kube.create('NodePool', pool);
    const t0 = performance.now();
    await deployment(kube);
    await until('kube-scheduler to mark a pod Unschedulable', 20_000, async () => {
      const pods = await appPods(kube);
      return pods.some((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'))
        ? true : `${pods.length} pods, none Unschedulable`;
    });
    const running = await until(`${PODS} pods Running on KWOK's Ready nodes`, 45_000, async () => {
      const [pods, nodes] = await Promise.all([appPods(kube), kube.list('Node')]);
      const ready = new Set(nodes.items
        .filter((n) => n.spec?.providerID?.startsWith('kwok://') && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata.name!));
      const run = pods.filter((p) => p.status?.phase === 'Running' && ready.has(p.spec?.nodeName ?? ''));
      return run.length === PODS ? { pods: run, nodes: nodes.items } : `${run.length}/${pods.length} running, ${ready.size}/${nodes.items.length} nodes Ready`;
    });
    const used = new Set(running.pods.map((p) => p.spec?.nodeName));
    assert.ok(used.size >= 2, `${PODS} pods of 500m need more than one node of at most 8 CPUs (got ${used.size})`);
    for (const n of running.nodes.filter((x) => used.has(x.metadata.name))) {
      assert.ok(reportedByKwok(n), `${n.metadata.name!} was reported by KWOK`);
      assert.equal(await kube.get('Lease', n.metadata.name!, 'kube-node-lease').then((l) => l.spec.leaseDurationSeconds), 40, 'KWOK holds its Lease');
    }
    const claims = await kube.list('NodeClaim');
    assert.deepEqual(claims.items.map((c) => c.status?.nodeName).sort(), running.nodes.map((n) => n.metadata.name).sort(), 'one NodeClaim per Node');
    t.diagnostic(`all ${PODS} Running on ${used.size} KWOK nodes ${since(t0)} ms after the pods were created`);
  });

  it('scales to zero: KWOK completes the pod deletions, the empty nodes are consolidated away, nothing is left', async (t: TestContext) => {
    const t0 = performance.now();
    await kube.patch('Deployment', APP, { spec: { replicas: 0 } }, NS);
    await kube.patch('ReplicaSet', `${APP}-1`, { spec: { replicas: 0 } }, NS);
    await Promise.all((await appPods(kube)).map((p) => kube.delete('Pod', p.metadata.name!, NS)));
    await until('the pods to be gone', 20_000, async () => {
      const left = (await appPods(kube)).length;
      return left === 0 ? true : `${left} pods left`;
    });
    await until('every NodeClaim and Node to be gone', 30_000, async () => {
      const [claims, nodes] = await Promise.all([kube.list('NodeClaim'), kube.list('Node')]);
      return claims.items.length + nodes.items.length === 0 ? true : `${claims.items.length} NodeClaims, ${nodes.items.length} Nodes`;
    });
    t.diagnostic(`scaled to zero and consolidated away in ${since(t0)} ms`);
  });
});
