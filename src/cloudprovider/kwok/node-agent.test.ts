import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, Node, Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { node as plainNode, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { kwokCatalog } from '../catalog/kwok.js';
import { KwokCloudProvider } from './kwok-cloud-provider.js';
import { KwokNodeAgent, NODE_LEASE_NAMESPACE } from './node-agent.js';

function claim(name: string): NodeClaim {
  return {
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' } },
  };
}

async function setup(): Promise<{ clock: VirtualClock; kube: MemoryKubeClient; kwok: KwokCloudProvider; agent: KwokNodeAgent; problems: Error[] }> {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock, emulateKubelet: false });
  const problems: Error[] = [];
  const kwok = new KwokCloudProvider({ kube, clock, clusterName: 'test', registrationDelayMs: 1_000, instanceTypes: kwokCatalog({ cpus: [2] }) });
  const agent = new KwokNodeAgent({ kube, clock, clusterName: 'test', onProblem: (e) => problems.push(e) });
  agent.start();
  await clock.step(0);
  await agent.waitForSync();
  return { clock, kube, kwok, agent, problems };
}

const find = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
const ready = (n: Node | undefined): string | undefined => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('KwokNodeAgent', () => {
  it('makes a registered kwok Node Ready and heartbeats its Lease every 10 s', async () => {
    const { clock, kube, kwok, agent, problems } = await setup();
    await kwok.create(claim('n1'));
    await kube.create('Node', plainNode('not-kwok'));
    await kube.patchStatus('Node', 'not-kwok', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    await clock.step(1_000);
    await clock.step(0);
    const node = await kube.get('Node', 'n1');
    assert.equal(ready(node), 'True');
    assert.deepEqual(node.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'NetworkUnavailable=False']);
    assert.deepEqual(node.spec?.taints, [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }], 'taints are the lifecycle controller\'s business');
    await kube.patch('Node', 'n1', { spec: { taints: [...node.spec.taints, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] } });
    await clock.step(0);
    assert.deepEqual((await kube.get('Node', 'n1')).spec?.taints, [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }], 'the not-ready taint is lifted once Ready');
    assert.equal(ready(await kube.get('Node', 'not-kwok')), 'False', 'other nodes are left alone');
    assert.equal(await find(kube.get('Lease', 'not-kwok', NODE_LEASE_NAMESPACE)), undefined);

    const lease: Lease = await kube.get('Lease', 'n1', NODE_LEASE_NAMESPACE);
    assert.equal(lease.spec.holderIdentity, 'n1');
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.equal(lease.spec.renewTime, '2024-01-01T00:00:01.000000Z');
    assert.deepEqual(lease.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}/${o.uid}`), [`Node/n1/${node.metadata.uid}`]);
    await clock.step(20_000);
    assert.equal((await kube.get('Lease', 'n1', NODE_LEASE_NAMESPACE)).spec.renewTime, '2024-01-01T00:00:20.000000Z');
    assert.ok(agent.isIdle());
    assert.deepEqual(problems, []);
    await agent.stop();
    kube.close();
  });

  it('runs pods bound to its nodes, completes their deletion, and removes pods and Lease when the node goes', async () => {
    const { clock, kube, kwok, agent, problems } = await setup();
    const launched = await kwok.create(claim('n1'));
    await clock.step(1_000);
    await kube.create('Node', plainNode('real-node'));
    for (const name of ['a', 'b']) await kube.create('Pod', pod({ name }));
    await kube.create('Pod', pod({ name: 'elsewhere' }));
    await kube.bind({ metadata: { name: 'a', namespace: 'default' } }, 'n1');
    await kube.bind({ metadata: { name: 'elsewhere', namespace: 'default' } }, 'real-node');
    await clock.step(0);
    const a: Pod = await kube.get('Pod', 'a');
    assert.equal(a.status?.phase, 'Running');
    assert.equal(a.status?.startTime, '2024-01-01T00:00:01Z');
    assert.deepEqual(a.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
    assert.equal((await kube.get('Pod', 'b')).status?.phase, 'Pending', 'unbound pods wait');
    assert.equal((await kube.get('Pod', 'elsewhere')).status?.phase, 'Pending', 'pods on other nodes are not ours');

    await kube.bind({ metadata: { name: 'b', namespace: 'default' } }, 'n1');
    await clock.step(0);
    await kube.delete('Pod', 'a', 'default');
    await clock.step(0);
    assert.equal(await find(kube.get('Pod', 'a', 'default')), undefined, 'the graceful deletion completed at once');
    assert.equal((await kube.get('Pod', 'b')).status?.phase, 'Running');

    await kwok.delete(launched);
    await clock.step(0);
    assert.equal(await find(kube.get('Pod', 'b', 'default')), undefined, 'pods of a deleted node go with it');
    assert.equal(await find(kube.get('Lease', 'n1', NODE_LEASE_NAMESPACE)), undefined);
    assert.ok(await kube.get('Pod', 'elsewhere'));
    assert.deepEqual(problems, []);
    await agent.stop();
    kube.close();
  });

  it('retries a failed write until it succeeds', async () => {
    const { clock, kube, kwok, agent, problems } = await setup();
    kube.faults.failWrite({ kind: 'Node', verb: 'patchStatus' });
    await kwok.create(claim('n1'));
    await clock.step(1_000);
    assert.equal(ready(await kube.get('Node', 'n1')), 'False');
    assert.equal(agent.isIdle(), false, 'a retry is pending');
    assert.match(problems[0]?.message ?? '', /^kwok node agent: node\/n1: .*injected fault/);
    await clock.step(1_000);
    assert.equal(ready(await kube.get('Node', 'n1')), 'True');
    assert.ok(agent.isIdle());
    await agent.stop();
    assert.throws(() => agent.start(), /already stopped/);
    kube.close();
  });
});
