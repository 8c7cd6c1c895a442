import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { node as plainNode, nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { kwokCatalog } from '../catalog/kwok.js';
import { CloudProviderError, InsufficientCapacityError, NodeClaimNotFoundError } from '../cloud-provider.js';
import { cloudProviderContract } from '../contract.js';
import type { KwokCloudProviderOptions } from './kwok-cloud-provider.js';
import { KwokCloudProvider } from './kwok-cloud-provider.js';
import { claimFromKwokNode, KWOK_CLUSTER_LABEL, KWOK_NODE_ANNOTATION, KWOK_NODECLAIM_ANNOTATION, parseKwokProviderID } from './node.js';

let claims = 0;
function claim(name = `default-${++claims}`, o: { requirements?: NodeClaim['spec']['requirements']; requests?: Record<string, string> } = {}): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: {
      requirements: o.requirements ?? [],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      ...(o.requests ? { resources: { requests: o.requests } } : {}),
    },
  };
}

function setup(o: Partial<KwokCloudProviderOptions> = {}): { clock: VirtualClock; kube: MemoryKubeClient; kwok: KwokCloudProvider; problems: Error[] } {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  const problems: Error[] = [];
  const kwok = new KwokCloudProvider({ kube, clock, clusterName: 'test', instanceTypes: kwokCatalog({ cpus: [1, 2, 4, 8] }), onProblem: (e) => problems.push(e), ...o });
  return { clock, kube, kwok, problems };
}

const getNode = (kube: MemoryKubeClient, name: string): Promise<Node | undefined> =>
  kube.get('Node', name).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });

cloudProviderContract('kwok', () => {
  const { clock, kube, kwok } = setup({ registrationDelayMs: 3_000 });
  return Promise.resolve({
    provider: kwok,
    nodePool: nodePool(),
    makeClaim: (o = {}) => claim(undefined, { requirements: o.requirements, requests: o.requests as Record<string, string> | undefined }),
    unknownProviderID: 'kwok://test-zone-a/nothing-here',
    cleanup: () => Promise.resolve(kube.close()),
    advance: async (ms: number) => { await clock.step(ms); },
  });
});

describe('KwokCloudProvider', () => {
  it('registers a Node after the delay: provider ID, labels, capacity, allocatable, the unregistered taint, NotReady', async () => {
    const { clock, kube, kwok } = setup({ registrationDelayMs: 3_000 });
    const launched = await kwok.create(claim('web-a', { requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }] }));
    assert.equal(launched.status?.providerID, 'kwok://test-zone-a/web-a');
    assert.equal(launched.metadata.labels?.['node.kubernetes.io/instance-type'], 'c-1x-amd64-linux', 'the cheapest on-demand type');
    assert.deepEqual(launched.status?.capacity, { cpu: '1', memory: '2Gi', pods: '16', 'ephemeral-storage': '20Gi' });
    assert.deepEqual(launched.status?.allocatable, { cpu: '900m', memory: '2038Mi', pods: '16', 'ephemeral-storage': '20Gi' });
    assert.equal(kwok.pendingRegistrations, 1);

    await clock.step(2_999);
    assert.equal(await getNode(kube, 'web-a'), undefined, 'not registered yet');
    assert.equal((await kwok.get('kwok://test-zone-a/web-a')).metadata.name, 'web-a', 'a pending machine is found');
    await clock.step(1);
    const node = (await getNode(kube, 'web-a'))!;
    assert.equal(kwok.pendingRegistrations, 0);
    assert.equal(node.spec?.providerID, 'kwok://test-zone-a/web-a');
    assert.deepEqual(node.metadata.labels, { ...launched.metadata.labels, 'kubernetes.io/hostname': 'web-a', [KWOK_CLUSTER_LABEL]: 'test' });
    assert.equal(node.metadata.annotations?.[KWOK_NODE_ANNOTATION], 'fake');
    assert.equal(node.metadata.annotations?.[KWOK_NODECLAIM_ANNOTATION], 'web-a');
    assert.deepEqual(node.spec?.taints, [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }]);
    assert.deepEqual(node.status?.capacity, launched.status?.capacity);
    assert.deepEqual(node.status?.allocatable, launched.status?.allocatable);
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    const got = await kwok.get('kwok://test-zone-a/web-a');
    assert.deepEqual(got.metadata.labels, launched.metadata.labels);
    assert.deepEqual(got.status?.capacity, launched.status?.capacity);
    assert.deepEqual(got.spec.requirements.map((r) => r.key), ['node.kubernetes.io/instance-type', 'topology.kubernetes.io/zone', 'karpenter.sh/capacity-type']);
    const again = await kwok.create(claim('web-a'));
    assert.equal(again.status?.providerID, launched.status?.providerID, 'create after registration returns the same machine');
    kube.close();
  });

  it('deleting a pending launch means its Node never appears', async () => {
    const { clock, kube, kwok } = setup({ registrationDelayMs: 3_000 });
    const launched = await kwok.create(claim('gone-early'));
    await kwok.delete(launched);
    await clock.step(10_000);
    assert.equal(await getNode(kube, 'gone-early'), undefined);
    await assert.rejects(kwok.get(launched.status!.providerID!), NodeClaimNotFoundError);
    assert.deepEqual(await kwok.list(), []);
    kube.close();
  });

  it('lists only kwok Nodes of its cluster, and will not take over or delete a Node that is not one', async () => {
    const { clock, kube, kwok } = setup({ registrationDelayMs: 0 });
    await kube.create('Node', plainNode('foreign', { labels: { [KWOK_CLUSTER_LABEL]: 'test' } }));
    await kube.create('Node', plainNode('other'));
    const other = setup({ registrationDelayMs: 0, kube, clock, clusterName: 'another' }).kwok;
    await other.create(claim('theirs'));
    await kwok.create(claim('ours'));
    await clock.step(0);
    assert.deepEqual((await kwok.list()).map((c) => c.metadata.name), ['ours']);
    await assert.rejects(kwok.create(claim('foreign')), (e: unknown) => e instanceof CloudProviderError && /Node foreign exists and is not a kwok node of cluster test/.test(e.message));
    await assert.rejects(kwok.delete(claim('other')), NodeClaimNotFoundError);
    await assert.rejects(kwok.get('kwok://test-zone-a/theirs'), NodeClaimNotFoundError);
    await assert.rejects(kwok.get('aws:///us-east-1a/i-0123'), NodeClaimNotFoundError);
    assert.ok(await getNode(kube, 'other'), 'left alone');
    kube.close();
  });

  it('gives concurrent creates of one claim one machine', async () => {
    const { clock, kube, kwok } = setup({ registrationDelayMs: 0 });
    const c = claim('twice');
    const [a, b] = await Promise.all([kwok.create(c), kwok.create(structuredClone(c))]);
    assert.equal(a.status?.providerID, b.status?.providerID);
    await clock.step(0);
    assert.equal((await kwok.list()).length, 1);
    kube.close();
  });

  it('honours unavailable offerings and fails with InsufficientCapacityError when nothing is left', async () => {
    const { kube, kwok } = setup();
    const onDemandOnly = { requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] }, { key: 'node.kubernetes.io/instance-type', operator: 'In' as const, values: ['c-1x-amd64-linux'] }] };
    for (const zone of ['test-zone-a', 'test-zone-b', 'test-zone-c']) kwok.unavailableOfferings.mark({ instanceType: 'c-1x-amd64-linux', zone, capacityType: 'on-demand' });
    assert.equal(parseKwokProviderID((await kwok.create(claim('last-zone', onDemandOnly))).status!.providerID!)?.zone, 'test-zone-d');
    kwok.unavailableOfferings.mark({ instanceType: 'c-1x-amd64-linux', zone: 'test-zone-d', capacityType: 'on-demand' });
    await assert.rejects(kwok.create(claim('none-left', onDemandOnly)), InsufficientCapacityError);
    const types = await kwok.getInstanceTypes(nodePool());
    assert.ok(types.find((t) => t.name === 'c-1x-amd64-linux')!.offerings.filter((o) => o.capacityType === 'on-demand').every((o) => !o.available));
    kwok.close();
    kube.close();
  });

  it('retries a failed Node write, and reports giving up', async () => {
    const { clock, kube, kwok, problems } = setup({ registrationDelayMs: 0 });
    kube.faults.failWrite({ kind: 'Node', verb: 'create' });
    await kwok.create(claim('flaky'));
    await clock.step(0);
    assert.equal(await getNode(kube, 'flaky'), undefined, 'the first write failed');
    await clock.step(5_000);
    assert.ok(await getNode(kube, 'flaky'), 'the retry succeeded');
    assert.equal(problems.length, 0);

    for (let i = 0; i < 12; i++) kube.faults.failWrite({ kind: 'Node', verb: 'create' });
    const doomed = await kwok.create(claim('doomed'));
    await clock.step(120_000);
    assert.equal(await getNode(kube, 'doomed'), undefined);
    assert.deepEqual(problems.map((e) => e.message), [`registering kwok node doomed: Operation cannot be fulfilled on Node "doomed": injected fault (create) (gave up after 12 attempts)`]);
    await assert.rejects(kwok.get(doomed.status!.providerID!), NodeClaimNotFoundError, 'a launch that never registers is gone');
    kube.close();
  });

  it('recovers launches that had not registered before a restart, at their launch time plus the delay', async () => {
    const { clock, kube, kwok } = setup({ registrationDelayMs: 60_000 });
    const launched = await kwok.create(claim('survivor'));
    // The lifecycle controller records the launch on the claim, then this process dies.
    await kube.create('NodeClaim', { ...launched, metadata: { name: 'survivor', labels: launched.metadata.labels } });
    await kube.patchStatus('NodeClaim', 'survivor', { status: { ...launched.status, conditions: [{ type: 'Launched', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } });
    kwok.close();
    await clock.step(20_000);

    const restarted = setup({ registrationDelayMs: 60_000, kube, clock }).kwok;
    assert.equal(await restarted.recover(), 1);
    assert.equal(await restarted.recover(), 0, 'recovering twice resumes nothing more');
    assert.equal((await restarted.get(launched.status!.providerID!)).metadata.name, 'survivor');
    await clock.step(39_999);
    assert.equal(await getNode(kube, 'survivor'), undefined);
    await clock.step(1);
    const node = (await getNode(kube, 'survivor'))!;
    assert.equal(node.spec?.providerID, launched.status?.providerID);
    assert.deepEqual(claimFromKwokNode(node).status?.capacity, launched.status?.capacity);
    kube.close();
  });
});
