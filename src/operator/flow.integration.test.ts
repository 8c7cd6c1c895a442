/**
 * The whole flow on a real kube-apiserver, with the operator in-process and the kwok provider:
 * pending pods become NodeClaims, kwok Nodes register and turn Ready, the pods are bound (by
 * kube-scheduler, or by nodewright itself with --binding direct) and run; once the pods are gone
 * the nodes are consolidated away and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../controllers/context.js';
import type { RealKubeClient } from '../kube/real/real-client.js';
import { appPods, isUnschedulable, since, until, untilAppRunning, untilNothingLeft } from '../test/cluster-waits.js';
import type { CrdCluster } from '../test/kwok-cluster.js';
import {
  createDeployment, kwokNodePool, LOOPBACK_FLAGS, operatorOptions, QUICK_FLAGS, scaleDeploymentToZero, startCrdCluster, WHEN_EMPTY,
} from '../test/kwok-cluster.js';
import { Operator } from './operator.js';

const NS = 'default';
const PODS = 50;
const APP = 'web';

/** An operator as `nodewright controller` would run it, with short windows so a test takes seconds. */
function operator(c: CrdCluster, binding: 'scheduler' | 'direct'): Operator {
  const options = operatorOptions(c.cp.kubeconfigPath, ['--cloud-provider', 'kwok', '--binding', binding, '--leader-elect=false', ...LOOPBACK_FLAGS, ...QUICK_FLAGS]);
  return new Operator({ options, log: silentLogger });
}

/** Every NodeClaim has its Node, and each used node is one of them. */
async function claimsMatchNodes(kube: RealKubeClient, used: Set<string>): Promise<number> {
  const [claims, nodes] = await Promise.all([kube.list('NodeClaim'), kube.list('Node')]);
  const claimNodes = new Set(claims.items.map((c) => c.status?.nodeName));
  assert.deepEqual([...claimNodes].sort(), nodes.items.map((n) => n.metadata.name).sort(), 'one NodeClaim per Node');
  for (const n of used) assert.ok(claimNodes.has(n), `pods run on ${n}, which has no NodeClaim`);
  return claims.items.length;
}

/** A control plane with the CRDs and an operator running on it, for one describe block. */
function withOperator(scheduler: boolean, binding: 'scheduler' | 'direct'): () => CrdCluster {
  let c: CrdCluster | undefined;
  let op: Operator | undefined;
  before(async () => {
    c = await startCrdCluster({ scheduler });
    op = operator(c, binding);
    await op.start();
  });
  after(async () => {
    await op?.stop();
    c?.kube.close();
    await c?.cp.stop();
  });
  return () => c!;
}

describe('the full flow on kube-apiserver with kube-scheduler and kwok nodes', () => {
  const cluster = withOperator(true, 'scheduler');

  it(`provisions kwok nodes for a Deployment of ${PODS} pods that kube-scheduler marks Unschedulable, then binds and runs them`, async (t: TestContext) => {
    const { kube } = cluster();
    await kube.create('NodePool', kwokNodePool(WHEN_EMPTY));
    const t0 = performance.now();
    await createDeployment(kube, NS, APP, PODS);
    const unschedulable = await until('kube-scheduler to mark a pod Unschedulable', 20_000, async () => {
      const pods = await appPods(kube, NS, APP);
      const marked = pods.filter(isUnschedulable);
      return marked.length > 0 ? marked.length : `${pods.length} pods, none Unschedulable`;
    });
    const firstClaim = await until('a NodeClaim', 20_000, async () => {
      const claims = await kube.list('NodeClaim');
      return claims.items.length > 0 ? since(t0) : 'no NodeClaim';
    });
    const { used } = await untilAppRunning(kube, NS, APP, PODS, 45_000);
    const count = await claimsMatchNodes(kube, used);
    assert.ok(count >= 2, `50 pods of 500m need more than one node of at most 8 CPUs (got ${count})`);
    const pods = await appPods(kube, NS, APP);
    assert.ok(pods.every((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True')), 'kube-scheduler bound every pod');
    t.diagnostic(`${unschedulable} pods seen Unschedulable; first NodeClaim ${firstClaim} ms; all ${PODS} Running on ${count} nodes ${since(t0)} ms after the pods were created`);
  });

  it('consolidates the emptied nodes away once the pods are gone: no NodeClaim or Node is left', async (t: TestContext) => {
    const { kube } = cluster();
    const t0 = performance.now();
    await scaleDeploymentToZero(kube, NS, APP, 30_000);
    await untilNothingLeft(kube, 30_000);
    t.diagnostic(`scaled to zero and consolidated away in ${since(t0)} ms`);
  });
});

describe('direct binding on kube-apiserver without kube-scheduler', () => {
  const cluster = withOperator(false, 'direct');

  it(`binds ${PODS} pending pods to the new kwok nodes itself, where they run`, async (t: TestContext) => {
    const { kube } = cluster();
    await kube.create('NodePool', kwokNodePool(WHEN_EMPTY));
    const t0 = performance.now();
    await createDeployment(kube, NS, APP, PODS);
    const { used } = await untilAppRunning(kube, NS, APP, PODS, 45_000);
    const count = await claimsMatchNodes(kube, used);
    assert.ok(count >= 2, `50 pods of 500m need more than one node of at most 8 CPUs (got ${count})`);
    t.diagnostic(`all ${PODS} bound and Running on ${count} nodes ${since(t0)} ms after the pods were created`);
  });
});
