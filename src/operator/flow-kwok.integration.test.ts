/**
 * The whole flow as on a real cluster with the real KWOK controller: the operator in-process with
 * `--cloud-provider kwok --kwok-node-agent=false`, KWOK (sigs.k8s.io/kwok, built from the Go module
 * proxy) keeping the provider's Nodes Ready and running their pods, kube-scheduler binding, and
 * kube-controller-manager's node lifecycle controller lifting the not-ready taint as it does on any
 * cluster. Pending pods become NodeClaims, KWOK's nodes take them, and scaling to zero leaves nothing.
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
import type { RunningProcess } from '../test/kwok-binary.js';
import { ensureKwok, reportedByKwok, startKwok, startNodeLifecycleController } from '../test/kwok-binary.js';
import { Operator } from './operator.js';

const NS = 'default';
const PODS = 30;
const APP = 'web';

describe('the full flow on kube-apiserver with the real KWOK controller instead of our node agent', () => {
  let c: CrdCluster | undefined;
  let kwok: RunningProcess | undefined;
  let lifecycle: RunningProcess | undefined;
  let kube: RealKubeClient;
  let op: Operator | undefined;
  /** KWOK's log, for a wait that times out. */
  const kwokLog = (): string => `kwok log:\n${kwok?.logTail(15) ?? ''}`;
  before(async () => {
    await ensureKwok();
    c = await startCrdCluster({ scheduler: true });
    kube = c.kube;
    [kwok, lifecycle] = await Promise.all([startKwok({ kubeconfigPath: c.cp.kubeconfigPath }), startNodeLifecycleController(c.cp.kubeconfigPath)]);
    const options = operatorOptions(c.cp.kubeconfigPath, ['--cloud-provider', 'kwok', '--kwok-node-agent=false', '--binding', 'scheduler', '--leader-elect=false', ...LOOPBACK_FLAGS, ...QUICK_FLAGS]);
    assert.equal(options.kwokNodeAgent, false);
    op = new Operator({ options, log: silentLogger });
    await op.start();
  });
  after(async () => {
    await op?.stop();
    c?.kube.close();
    await Promise.all([kwok?.stop(), lifecycle?.stop()]);
    await c?.cp.stop();
  });

  it(`provisions nodes that KWOK makes Ready for ${PODS} pods kube-scheduler marks Unschedulable, where they run`, async (t: TestContext) => {
    await kube.create('NodePool', kwokNodePool(WHEN_EMPTY));
    const t0 = performance.now();
    await createDeployment(kube, NS, APP, PODS);
    await until('kube-scheduler to mark a pod Unschedulable', 20_000, async () => {
      const pods = await appPods(kube, NS, APP);
      return pods.some(isUnschedulable) ? true : `${pods.length} pods, none Unschedulable`;
    }, { context: kwokLog });
    const running = await untilAppRunning(kube, NS, APP, PODS, 45_000, { context: kwokLog });
    const { used } = running;
    assert.ok(used.size >= 2, `${PODS} pods of 500m need more than one node of at most 8 CPUs (got ${used.size})`);
    for (const n of running.nodes.filter((x) => used.has(x.metadata.name!))) {
      assert.ok(reportedByKwok(n), `${n.metadata.name!} was reported by KWOK`);
      assert.equal(await kube.get('Lease', n.metadata.name!, 'kube-node-lease').then((l) => l.spec.leaseDurationSeconds), 40, 'KWOK holds its Lease');
    }
    const claims = await kube.list('NodeClaim');
    assert.deepEqual(claims.items.map((x) => x.status?.nodeName).sort(), running.nodes.map((n) => n.metadata.name).sort(), 'one NodeClaim per Node');
    t.diagnostic(`all ${PODS} Running on ${used.size} KWOK nodes ${since(t0)} ms after the pods were created`);
  });

  it('scales to zero: KWOK completes the pod deletions, the empty nodes are consolidated away, nothing is left', async (t: TestContext) => {
    const t0 = performance.now();
    await scaleDeploymentToZero(kube, NS, APP, 20_000, { context: kwokLog });
    await untilNothingLeft(kube, 30_000, undefined, { context: kwokLog });
    t.diagnostic(`scaled to zero and consolidated away in ${since(t0)} ms`);
  });
});
