import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OwnerReference, Pod, PodDisruptionBudget } from '../../apis/core.js';
import { VirtualClock } from '../../utils/clock.js';
import { isTooManyRequests, KubeError } from '../errors.js';
import { MemoryKubeClient } from './memory-client.js';

function setup(): { clock: VirtualClock; client: MemoryKubeClient } {
  const clock = new VirtualClock();
  return { clock, client: new MemoryKubeClient({ clock, freezeStored: true }) };
}

type Health = 'ready' | 'running' | 'pending';

async function addPod(client: MemoryKubeClient, name: string, labels: Record<string, string>, health: Health = 'ready', owner?: OwnerReference): Promise<void> {
  await client.create('Pod', {
    metadata: { name, namespace: 'default', labels, ...(owner ? { ownerReferences: [owner] } : {}) },
    spec: { containers: [{ name: 'c' }], nodeName: 'n1' },
  });
  if (health === 'pending') return;
  await client.patchStatus('Pod', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: health === 'ready' ? 'True' : 'False' }] } });
}

async function budget(client: MemoryKubeClient, name: string, spec: Partial<PodDisruptionBudget['spec']>): Promise<void> {
  await client.create('PodDisruptionBudget', { metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
}

async function status(client: MemoryKubeClient, name: string): Promise<Record<string, unknown>> {
  return (await client.get('PodDisruptionBudget', name)).status as Record<string, unknown>;
}

const pick = (s: Record<string, unknown>): unknown[] => [s.expectedPods, s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed];

const rs = (name: string): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: `uid-${name}`, controller: true });

describe('PodDisruptionBudget status', () => {
  it('counts Running and Ready pods that are not terminating as healthy', async () => {
    const { client } = setup();
    await addPod(client, 'ready', { app: 'web' });
    await addPod(client, 'unready', { app: 'web' }, 'running');
    await addPod(client, 'pending', { app: 'web' }, 'pending');
    await addPod(client, 'other', { app: 'db' });
    await budget(client, 'b', { minAvailable: 1 });
    const s = await status(client, 'b');
    assert.deepEqual(pick(s), [3, 1, 1, 0]);
    assert.equal(s.observedGeneration, 1);
    await client.patchStatus('Pod', 'unready', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    assert.deepEqual(pick(await status(client, 'b')), [3, 2, 1, 1]);
    await client.patch('Pod', 'ready', { metadata: { labels: { app: 'gone' } } });
    assert.deepEqual(pick(await status(client, 'b')), [2, 1, 1, 0]);
  });

  it('takes expected pods from the controllers for percentages and maxUnavailable', async () => {
    const { client } = setup();
    await client.create('Deployment', { metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 4, template: { spec: { containers: [] } } } });
    const owned = (n: string) => ({ metadata: { name: n, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true }] }, spec: { replicas: 2, template: { spec: { containers: [] } } } });
    await client.create('ReplicaSet', owned('web-old'));
    await client.create('ReplicaSet', owned('web-new'));
    await addPod(client, 'a', { app: 'web' }, 'ready', rs('web-old'));
    await addPod(client, 'b', { app: 'web' }, 'ready', rs('web-new'));
    await addPod(client, 'c', { app: 'web' }, 'ready', rs('web-new'));
    await budget(client, 'pct', { minAvailable: '50%' });
    assert.deepEqual(pick(await status(client, 'pct')), [4, 3, 2, 1], 'the Deployment counts once, at its replicas');
    await client.patch('Deployment', 'web', { spec: { replicas: 6 } });
    assert.deepEqual(pick(await status(client, 'pct')), [6, 3, 3, 0]);
    await client.delete('PodDisruptionBudget', 'pct');
    await budget(client, 'max', { maxUnavailable: '34%' });
    assert.deepEqual(pick(await status(client, 'max')), [6, 3, 3, 0], 'ceil(6 * 34%) = 3 unavailable allowed');
  });

  it('recomputes on a spec change, with the new generation observed', async () => {
    const { client } = setup();
    for (const n of ['a', 'b', 'c']) await addPod(client, n, { app: 'web' });
    await budget(client, 'b', { minAvailable: 3 });
    assert.equal((await status(client, 'b')).disruptionsAllowed, 0);
    const updated = await client.patch('PodDisruptionBudget', 'b', { spec: { minAvailable: 1 } });
    assert.equal(updated.metadata.generation, 2);
    const s = await status(client, 'b');
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.disruptionsAllowed, 2);
  });

  it('always equals a recount from scratch, whatever happens to the pods', async () => {
    type Op = { pod: number; action: 'create' | 'ready' | 'unready' | 'relabel' | 'delete' };
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ pod: fc.integer({ min: 0, max: 3 }), action: fc.constantFrom<Op['action']>('create', 'ready', 'unready', 'relabel', 'delete') }), { minLength: 10, maxLength: 40 }),
      fc.integer({ min: 0, max: 4 }),
      async (ops, minAvailable) => {
        const { client } = setup();
        await budget(client, 'b', { minAvailable });
        for (const op of ops) {
          const name = `p${op.pod}`;
          await (async () => {
            switch (op.action) {
              case 'create': return addPod(client, name, { app: op.pod % 2 ? 'web' : 'db' }, 'pending');
              case 'ready': return client.patchStatus('Pod', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
              case 'unready': return client.patchStatus('Pod', name, { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
              case 'relabel': return client.patch('Pod', name, { metadata: { labels: { app: 'web' } } });
              case 'delete': return client.delete('Pod', name);
            }
          })().catch((e: unknown) => { if (!(e instanceof KubeError)) throw e; });
        }
        const pods = (await client.list('Pod', { labelSelector: { matchLabels: { app: 'web' } } })).items;
        const healthy = pods.filter((p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running'
          && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
        assert.deepEqual(pick(await status(client, 'b')), [pods.length, healthy, minAvailable, Math.max(0, healthy - minAvailable)]);
        client.close();
      },
    ), { numRuns: 100 });
  });
});

describe('memory eviction', () => {
  it('never lets a maxUnavailable 1 budget go below its replicas minus one while a replacement is missing', async () => {
    const { clock, client } = setup();
    await client.create('ReplicaSet', { metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3, template: { spec: { containers: [] } } } });
    for (const n of ['a', 'b', 'c']) await addPod(client, n, { app: 'web' }, 'ready', rs('web'));
    await budget(client, 'b', { maxUnavailable: 1 });
    await client.evict({ metadata: { name: 'a', namespace: 'default' } });
    assert.ok((await client.get('Pod', 'a')).metadata.deletionTimestamp, 'evicted pods terminate gracefully');
    await assert.rejects(client.evict({ metadata: { name: 'b', namespace: 'default' } }), isTooManyRequests);
    await clock.step(30_000);
    await assert.rejects(client.get('Pod', 'a'), /not found/);
    const e = await client.evict({ metadata: { name: 'b', namespace: 'default' } }).catch((x: unknown) => x);
    assert.ok(isTooManyRequests(e), 'still refused: the ReplicaSet wants 3 and only 2 are healthy');
    assert.equal(e.details.causes?.[0]?.reason, 'DisruptionBudget');
    assert.match(e.details.causes?.[0]?.message ?? '', /needs 2 healthy pods and has 2/);
    await addPod(client, 'a2', { app: 'web' }, 'ready', rs('web'));
    await client.evict({ metadata: { name: 'b', namespace: 'default' } });
  });

  it('lets a not-ready pod go without spending the budget while the budget is met', async () => {
    const { client } = setup();
    for (const n of ['a', 'b']) await addPod(client, n, { app: 'web' });
    await addPod(client, 'sick', { app: 'web' }, 'running');
    await budget(client, 'b', { minAvailable: 2 });
    assert.equal((await status(client, 'b')).disruptionsAllowed, 0);
    await client.evict({ metadata: { name: 'sick', namespace: 'default' } });
    assert.ok((await client.get('Pod', 'sick')).metadata.deletionTimestamp);
    await assert.rejects(client.evict({ metadata: { name: 'a', namespace: 'default' } }), isTooManyRequests);
  });

  it('blocks a not-ready pod when the budget is not met, unless the policy is AlwaysAllow', async () => {
    const { client } = setup();
    await addPod(client, 'a', { app: 'web' });
    await addPod(client, 'sick', { app: 'web' }, 'running');
    await budget(client, 'b', { minAvailable: 2 });
    await assert.rejects(client.evict({ metadata: { name: 'sick', namespace: 'default' } }), isTooManyRequests);
    await client.patch('PodDisruptionBudget', 'b', { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } } as never);
    await client.evict({ metadata: { name: 'sick', namespace: 'default' } });
  });

  it('frees evictions once the budget is deleted, and checks the pod uid', async () => {
    const { client } = setup();
    await addPod(client, 'a', { app: 'web' });
    await budget(client, 'b', { minAvailable: 1 });
    await assert.rejects(client.evict({ metadata: { name: 'a', namespace: 'default' } }), isTooManyRequests);
    await client.delete('PodDisruptionBudget', 'b');
    await assert.rejects(client.evict({ metadata: { name: 'a', namespace: 'default', uid: 'stale' } }), /Precondition failed/);
    await client.evict({ metadata: { name: 'a', namespace: 'default' } }, { gracePeriodSeconds: 0 });
    await assert.rejects(client.get('Pod', 'a'), /not found/);
  });
});
