/** The chaos tests' own machinery can fail: the fence cuts a killed process off, and each invariant counts what breaks it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import { SimCloudProvider } from '../cloudprovider/sim/sim-cloud-provider.js';
import { nodeClaim, testCatalog } from '../controllers/nodeclaim/fixtures.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { pod } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import { fenced, ProcessFence, ProcessKilledError } from './fence.js';
import { InvariantMonitor } from './invariants.js';

/** Creates a Running and Ready pod labelled app=web (status is written through its subresource, as a kubelet would). */
async function healthy(kube: MemoryKubeClient, name: string): Promise<Pod> {
  await kube.create('Pod', pod({ name, labels: { app: 'web' }, nodeName: 'n1' }));
  return kube.patchStatus('Pod', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'default');
}

async function cluster(minAvailable: number): Promise<{ clock: VirtualClock; kube: MemoryKubeClient; sim: SimCloudProvider; monitor: InvariantMonitor }> {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  const sim = new SimCloudProvider({ clock, instanceTypes: testCatalog() });
  for (const n of ['a', 'b', 'c']) await healthy(kube, n);
  await kube.create('PodDisruptionBudget', {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, minAvailable },
  });
  return { clock, kube, sim, monitor: new InvariantMonitor({ kube, sim }) };
}

describe('chaos machinery', () => {
  it('refuses every call of a killed process, and lets earlier ones land', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const fence = new ProcessFence('p1');
    const seen: string[] = [];
    const k = fenced(kube, fence, { before: (m) => void seen.push(m) });
    await k.create('Pod', pod({ name: 'before' }));
    fence.kill();
    await assert.rejects(k.create('Pod', pod({ name: 'after' })), ProcessKilledError);
    assert.deepEqual(seen, ['create']);
    assert.deepEqual((await kube.list('Pod')).items.map((p) => p.metadata.name), ['before']);
  });

  it('kills a process as it makes its nth next call', async () => {
    const clock = new VirtualClock();
    const fence = new ProcessFence('p1');
    const k = fenced(new MemoryKubeClient({ clock }), fence);
    fence.killAfter(2);
    await k.create('Pod', pod({ name: 'one' }));
    await k.get('Pod', 'one', 'default');
    assert.equal(fence.killed, false);
    await assert.rejects(k.get('Pod', 'one', 'default'), ProcessKilledError);
    assert.equal(fence.killed, true);
  });

  for (const [minAvailable, violations] of [[3, 1], [2, 0]] as const) {
    it(`counts a pod deleted through a process against a budget of minAvailable ${minAvailable}: ${violations} violation(s)`, async () => {
      const { kube, monitor } = await cluster(minAvailable);
      const k = fenced(kube, new ProcessFence('p1'), monitor.kubeObserver('p1'));
      await k.delete('Pod', 'a', 'default', { gracePeriodSeconds: 0 });
      await monitor.flush();
      assert.equal(monitor.checks['pdb-violated'], 1);
      assert.equal(monitor.violations['pdb-violated'], violations, monitor.details.join('; '));
    });
  }

  it('counts a machine with no NodeClaim as leaked, and a NodeClaim without a live machine', async () => {
    const { clock, kube, sim, monitor } = await cluster(0);
    const launching = sim.create(nodeClaim({ name: 'gone' }));
    await clock.step(5_000);
    await launching;
    await kube.create('NodeClaim', nodeClaim({ name: 'never-launched' }));
    await monitor.checkCloudAgainstClaims();
    assert.equal(monitor.violations['leaked-instance'], 1);
    assert.equal(monitor.violations['nodeclaim-without-instance'], 1);
    assert.equal(monitor.violations['instance-launched-twice'], 0);
  });
});
