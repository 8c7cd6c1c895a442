/**
 * The whole flow on a real kube-apiserver, with the operator in-process and the kwok provider:
 * pending pods become NodeClaims, kwok Nodes register and turn Ready, the pods are bound (by
 * kube-scheduler, or by nodewright itself with --binding direct) and run; once the pods are gone
 * the nodes are consolidated away and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../apis/core.js';
import { generateCrds } from '../apis/crds/index.js';
import type { NodePool } from '../apis/v1/types.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../cloudprovider/catalog/kwok.js';
import { silentLogger } from '../controllers/context.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import { Operator } from './operator.js';
import { parseOperatorOptions } from './options.js';

const NS = 'default';
const PODS = 50;
const APP = 'web';

/** Polls `check` every 100 ms until it returns a value; fails after `timeoutMs` with the last state seen. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}`);
    await sleep(100);
  }
}

/** Starts a control plane, installs the CRDs and waits until they are served. */
async function planeWithCrds(scheduler: boolean): Promise<{ cp: ControlPlane; kube: RealKubeClient }> {
  const cp = await startControlPlane({ scheduler });
  const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
  for (const { crd } of generateCrds()) {
    await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  }
  const kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
  await until('the CRDs to be served', 30_000, async () => {
    try {
      await Promise.all([kube.list('NodeClaim'), kube.list('NodePool')]);
      return true;
    } catch (e) {
      return String(e);
    }
  });
  return { cp, kube };
}

/** An operator as `nodewright controller` would run it, with short windows so a test takes seconds. */
function operator(cp: ControlPlane, binding: 'scheduler' | 'direct'): Operator {
  const r = parseOperatorOptions([
    '--cloud-provider', 'kwok', '--binding', binding, '--leader-elect=false',
    '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0',
    '--kwok-registration-delay', '1s', '--batch-idle-duration', '200ms', '--batch-max-duration', '2s',
    '--disruption-interval', '1s', '--consolidation-validation', '500ms',
  ], { KUBECONFIG: cp.kubeconfigPath });
  assert.equal(r.kind, 'options');
  return new Operator({ options: r.options, log: silentLogger });
}

/**
 * A pool of kwok nodes of 4 or 8 CPUs (so 50 pods need several), consolidated only once empty:
 * nodes that pods are still being bound to are not replaced under them.
 */
function kwokPool(): NodePool {
  return {
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
}

const template: PodTemplateSpec = {
  metadata: { labels: { app: APP } },
  spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
};

/**
 * A Deployment of PODS replicas as the API server would hold it once its controllers had run (no
 * kube-controller-manager runs here): the Deployment, its ReplicaSet and the pods it owns.
 */
async function deployment(kube: RealKubeClient): Promise<void> {
  const spec = { replicas: PODS, selector: { matchLabels: { app: APP } }, template };
  const d: Deployment = await kube.create('Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, namespace: NS }, spec });
  const rs: ReplicaSet = await kube.create('ReplicaSet', {
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
    spec: template.spec,
  })));
}

const appPods = async (kube: RealKubeClient): Promise<Pod[]> => (await kube.list('Pod', { namespace: NS, labelSelector: { matchLabels: { app: APP } } })).items;

/** Waits until every pod is bound to a Ready kwok node and Running; returns the nodes used. */
async function allRunning(kube: RealKubeClient, timeoutMs: number): Promise<Set<string>> {
  return until(`${PODS} pods Running on Ready kwok nodes`, timeoutMs, async () => {
    const [pods, nodes] = await Promise.all([appPods(kube), kube.list('Node')]);
    const ready = new Set(nodes.items
      .filter((n) => n.spec?.providerID?.startsWith('kwok://') && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name!));
    const running = pods.filter((p) => p.status?.phase === 'Running' && ready.has(p.spec?.nodeName ?? ''));
    if (pods.length !== PODS || running.length !== PODS) return `${running.length}/${pods.length} running, ${ready.size}/${nodes.items.length} nodes ready`;
    return new Set(running.map((p) => p.spec?.nodeName ?? ''));
  });
}

/** Every NodeClaim has its Node, and each used node is one of them. */
async function claimsMatchNodes(kube: RealKubeClient, used: Set<string>): Promise<number> {
  const [claims, nodes] = await Promise.all([kube.list('NodeClaim'), kube.list('Node')]);
  const claimNodes = new Set(claims.items.map((c) => c.status?.nodeName));
  assert.deepEqual([...claimNodes].sort(), nodes.items.map((n) => n.metadata.name).sort(), 'one NodeClaim per Node');
  for (const n of used) assert.ok(claimNodes.has(n), `pods run on ${n}, which has no NodeClaim`);
  return claims.items.length;
}

const since = (t0: number): number => Math.round(performance.now() - t0);

describe('the full flow on kube-apiserver with kube-scheduler and kwok nodes', () => {
  let cp: ControlPlane | undefined;
  let kube: RealKubeClient;
  let op: Operator | undefined;
  before(async () => {
    ({ cp, kube } = await planeWithCrds(true));
    op = operator(cp, 'scheduler');
    await op.start();
  });
  after(async () => {
    await op?.stop();
    kube?.close();
    await cp?.stop();
  });

  it(`provisions kwok nodes for a Deployment of ${PODS} pods that kube-scheduler marks Unschedulable, then binds and runs them`, async (t: TestContext) => {
    await kube.create('NodePool', kwokPool());
    const t0 = performance.now();
    await deployment(kube);
    const unschedulable = await until('kube-scheduler to mark a pod Unschedulable', 20_000, async () => {
      const pods = await appPods(kube);
      const marked = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'));
      return marked.length > 0 ? marked.length : `${pods.length} pods, none Unschedulable`;
    });
    const firstClaim = await until('a NodeClaim', 20_000, async () => {
      const claims = await kube.list('NodeClaim');
      return claims.items.length > 0 ? since(t0) : 'no NodeClaim';
    });
    const used = await allRunning(kube, 45_000);
    const count = await claimsMatchNodes(kube, used);
    assert.ok(count >= 2, `50 pods of 500m need more than one node of at most 8 CPUs (got ${count})`);
    const pods = await appPods(kube);
    assert.ok(pods.every((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True')), 'kube-scheduler bound every pod');
    t.diagnostic(`${unschedulable} pods seen Unschedulable; first NodeClaim ${firstClaim} ms; all ${PODS} Running on ${count} nodes ${since(t0)} ms after the pods were created`);
  });

  it('consolidates the emptied nodes away once the pods are gone: no NodeClaim or Node is left', async (t: TestContext) => {
    const t0 = performance.now();
    await kube.patch('Deployment', APP, { spec: { replicas: 0 } }, NS);
    await kube.patch('ReplicaSet', `${APP}-1`, { spec: { replicas: 0 } }, NS);
    await Promise.all((await appPods(kube)).map((p) => kube.delete('Pod', p.metadata.name!, NS)));
    await until('the pods to be gone', 30_000, async () => {
      const left = (await appPods(kube)).length;
      return left === 0 ? true : `${left} pods left`;
    });
    await until('every NodeClaim and Node to be gone', 30_000, async () => {
      const [claims, nodes] = await Promise.all([kube.list('NodeClaim'), kube.list('Node')]);
      if (claims.items.length + nodes.items.length === 0) return true;
      const deleting = nodes.items.filter((n) => n.metadata.deletionTimestamp).map((n) => `${n.metadata.name!} [${(n.metadata.finalizers ?? []).join(',')}]`);
      return `${claims.items.length} NodeClaims, ${nodes.items.length} Nodes (being deleted: ${deleting.join(' ') || 'none'})`;
    });
    t.diagnostic(`scaled to zero and consolidated away in ${since(t0)} ms`);
  });
});

describe('direct binding on kube-apiserver without kube-scheduler', () => {
  let cp: ControlPlane | undefined;
  let kube: RealKubeClient;
  let op: Operator | undefined;
  before(async () => {
    ({ cp, kube } = await planeWithCrds(false));
    op = operator(cp, 'direct');
    await op.start();
  });
  after(async () => {
    await op?.stop();
    kube?.close();
    await cp?.stop();
  });

  it(`binds ${PODS} pending pods to the new kwok nodes itself, where they run`, async (t: TestContext) => {
    await kube.create('NodePool', kwokPool());
    const t0 = performance.now();
    await deployment(kube);
    const used = await allRunning(kube, 45_000);
    const count = await claimsMatchNodes(kube, used);
    assert.ok(count >= 2, `50 pods of 500m need more than one node of at most 8 CPUs (got ${count})`);
    t.diagnostic(`all ${PODS} bound and Running on ${count} nodes ${since(t0)} ms after the pods were created`);
  });
});
