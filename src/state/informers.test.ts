import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { daemonSet, node, nodePool } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import type { StateChange } from './changes.js';
import { ClusterState } from './cluster-state.js';
import { ClusterStateInformers } from './informers.js';

const pendingPod = (name: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
});
const claim = (name: string): NodeClaim => ({
  metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
  spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }, resources: { requests: { cpu: '1' } } },
});
const unschedulable = { status: { conditions: [{ type: 'PodScheduled', status: 'False' as const, reason: 'Unschedulable' }] } };

async function setup(): Promise<{ clock: VirtualClock; client: MemoryKubeClient; state: ClusterState; informers: ClusterStateInformers; changes: StateChange[] }> {
  const clock = new VirtualClock();
  const client = new MemoryKubeClient({ clock });
  await client.create('NodePool', nodePool());
  await client.create('DaemonSet', daemonSet({ name: 'agent' }));
  await client.create('NodeClaim', claim('c1'));
  await client.patchStatus('NodeClaim', 'c1', { status: { providerID: 'kwok://c1', nodeName: 'n1', conditions: [{ type: 'Initialized', status: 'True' }] } });
  await client.create('Node', { ...node('n1'), spec: { providerID: 'kwok://c1' } });
  await client.create('Pod', { ...pendingPod('bound'), spec: { ...pendingPod('bound').spec, nodeName: 'n1' } });
  const state = new ClusterState({ clock });
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));
  const informers = new ClusterStateInformers(client, state, { clock });
  return { clock, client, state, informers, changes };
}

describe('ClusterStateInformers', () => {
  it('fills the cache from every kind and opens the sync gate once all have listed', async () => {
    const { clock, state, informers, changes } = await setup();
    assert.equal(state.synced, false);
    informers.start();
    const synced = state.waitForSync();
    await clock.step(0);
    await synced;
    assert.equal(informers.hasSynced(), true);
    assert.equal(state.nodeCount, 1, 'the claim and its node are one machine');
    assert.deepEqual(state.node('n1')!.requested, { cpu: 1000, pods: 1 });
    assert.equal(state.nodePools().length, 1);
    assert.equal(state.daemonSets().length, 1);
    assert.equal(changes.at(-1)!.type, 'Synced');
    assert.equal(informers.informer('Pod')!.size, 1);
    await informers.stop();
  });

  it('follows the API: a pod marked Unschedulable is announced, then bound, then gone', async () => {
    const { clock, client, state, informers, changes } = await setup();
    informers.start();
    await clock.step(0);
    changes.length = 0;
    await client.create('Pod', pendingPod('web'));
    await client.patchStatus('Pod', 'web', unschedulable, 'default');
    await clock.step(0);
    assert.deepEqual(changes.map((c) => c.type), ['Pod', 'PodUnbound', 'Pod', 'PodProvisionable']);
    assert.deepEqual(state.pendingPods().map((p) => p.metadata.name), ['web']);
    await client.bind({ metadata: { name: 'web', namespace: 'default' } }, 'n1');
    await clock.step(0);
    assert.deepEqual(state.pendingPods(), []);
    assert.equal(state.node('n1')!.requested.cpu, 2000);
    await client.delete('Pod', 'web', 'default', { gracePeriodSeconds: 0 });
    await clock.step(0);
    assert.equal(state.node('n1')!.requested.cpu, 1000);
    await informers.stop();
  });

  it('converges after dropped watches and expired history, deletions included', async () => {
    const { clock, client, state, informers } = await setup();
    informers.start();
    await clock.step(0);
    client.faults.dropWatches();
    await client.delete('Pod', 'bound', 'default', { gracePeriodSeconds: 0 });
    await client.delete('Node', 'n1');
    await client.create('NodeClaim', claim('c2'));
    client.faults.expireHistory();
    await clock.step(5_000);
    assert.equal(state.podCount, 0);
    assert.deepEqual(state.nodes().map((n) => [n.name, n.node !== undefined]).sort(), [['c1', false], ['c2', false]]);
    assert.ok((informers.informer('Node')!.stats.relists) >= 1);
    await informers.stop();
    await client.create('NodeClaim', claim('c3'));
    await clock.step(1_000);
    assert.equal(state.node('c3'), undefined, 'nothing is applied after stop');
  });
});
