/**
 * Contract: the pod binding and eviction subresources, with PodDisruptionBudgets. Against a real
 * API server, eviction needs the disruption controller (kube-controller-manager) to fill in the
 * budgets' status; the suite waits for it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeClient } from './types.js';
import type { MakeHarness } from './contract-support.js';
import { podSpec, rejectsWith, runningPod, settledBudget, withCluster } from './contract-support.js';

/** Gone, or on its way out (a real cluster without kubelets keeps evicted pods Terminating). */
async function isGoneOrTerminating(client: KubeClient, name: string, ns: string): Promise<boolean> {
  try {
    return !!(await client.get('Pod', name, ns)).metadata.deletionTimestamp;
  } catch {
    return true;
  }
}

async function budget(client: KubeClient, ns: string, name: string, app: string, minAvailable: number): Promise<void> {
  await client.create('PodDisruptionBudget', { metadata: { name, namespace: ns }, spec: { minAvailable, selector: { matchLabels: { app } } } });
}

export function podsContract(make: MakeHarness): void {
  void describe('binding', () => {
    void it('binds a pod once and refuses to bind it twice', () => withCluster(make, async ({ client, ns }) => {
      const pod = await client.create('Pod', podSpec('bindme', ns));
      await client.bind(pod, 'node-a');
      const bound = await client.get('Pod', 'bindme', ns);
      assert.equal(bound.spec.nodeName, 'node-a');
      assert.equal(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
      const again = await rejectsWith(client.bind(pod, 'node-b'), 'Conflict', 409);
      assert.match(again.message, /already/);
      assert.equal((await client.get('Pod', 'bindme', ns)).spec.nodeName, 'node-a');
      await rejectsWith(client.bind({ metadata: { name: 'absent', namespace: ns } }, 'node-a'), 'NotFound');
    }));

    void it('refuses a binding whose uid no longer matches the pod', () => withCluster(make, async ({ client, ns }) => {
      const old = await client.create('Pod', podSpec('reborn', ns));
      await client.delete('Pod', 'reborn', ns);
      await client.create('Pod', podSpec('reborn', ns));
      await rejectsWith(client.bind(old, 'node-a'), 'Conflict');
      assert.equal((await client.get('Pod', 'reborn', ns)).spec.nodeName, undefined);
    }));
  });

  void describe('eviction', () => {
    void it('evicts a pod no budget covers', () => withCluster(make, async ({ client, ns }) => {
      await runningPod(client, 'free', ns, { app: 'free' }, 'node-a');
      await client.evict({ metadata: { name: 'free', namespace: ns } });
      assert.ok(await isGoneOrTerminating(client, 'free', ns));
    }));

    void it('refuses with 429 while a budget forbids, and evicts when it allows', () => withCluster(make, async ({ client, ns }) => {
      for (const name of ['w1', 'w2']) await runningPod(client, name, ns, { app: 'web' }, 'node-a');
      await budget(client, ns, 'web', 'web', 1);
      const settled = await settledBudget(client, 'web', ns, 2);
      assert.equal(settled.status?.disruptionsAllowed, 1);

      await client.evict({ metadata: { name: 'w1', namespace: ns } });
      assert.ok(await isGoneOrTerminating(client, 'w1', ns));
      await settledBudget(client, 'web', ns, 1);
      const refused = await rejectsWith(client.evict({ metadata: { name: 'w2', namespace: ns } }), 'TooManyRequests', 429);
      assert.match(refused.message, /disruption budget/);
      const w2 = await client.get('Pod', 'w2', ns);
      assert.equal(w2.metadata.deletionTimestamp, undefined);
    }));

    void it('evicts a Pending pod whatever its budget says', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('waiting', ns, { app: 'db' }));
      await budget(client, ns, 'db', 'db', 5);
      await settledBudget(client, 'db', ns, 0);
      await client.evict({ metadata: { name: 'waiting', namespace: ns } });
      assert.ok(await isGoneOrTerminating(client, 'waiting', ns));
    }));

    void it('answers 500 when two budgets select the pod', () => withCluster(make, async ({ client, ns }) => {
      await runningPod(client, 'twice', ns, { app: 'twice' }, 'node-a');
      await budget(client, ns, 'one', 'twice', 0);
      await budget(client, ns, 'two', 'twice', 0);
      await settledBudget(client, 'one', ns, 1);
      await settledBudget(client, 'two', ns, 1);
      const e = await rejectsWith(client.evict({ metadata: { name: 'twice', namespace: ns } }), 'InternalError', 500);
      assert.match(e.message, /more than one PodDisruptionBudget/);
    }));
  });
}
