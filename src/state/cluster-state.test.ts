import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Taint } from '../apis/core.js';
import { DISRUPTED_TAINT, INITIALIZED_LABEL, NODEPOOL_LABEL } from '../apis/labels.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { node as baseNode, pod, daemonSet } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import type { StateChange } from './changes.js';
import { ClusterState } from './cluster-state.js';

interface ClaimOptions {
  providerID?: string; nodeName?: string; pool?: string; cpu?: string; initialized?: boolean; registered?: boolean;
  taints?: Taint[]; requests?: Record<string, string>; zone?: string; deleting?: boolean;
}

function claim(name: string, o: ClaimOptions = {}): NodeClaim {
  const conds = [
    ...(o.providerID ? [{ type: 'Launched', status: 'True' as const }] : []),
    ...(o.registered ?? o.initialized ? [{ type: 'Registered', status: 'True' as const }] : []),
    ...(o.initialized ? [{ type: 'Initialized', status: 'True' as const }] : []),
  ];
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim',
    metadata: { name, labels: { [NODEPOOL_LABEL]: o.pool ?? 'default' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: {
      requirements: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [o.zone ?? 'zone-a'] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      taints: o.taints,
      startupTaints: [{ key: 'startup', effect: 'NoSchedule' }],
      resources: { requests: o.requests ?? { cpu: '1', memory: '1Gi', pods: '2' } },
    },
    status: {
      ...(o.providerID ? { providerID: o.providerID, capacity: { cpu: o.cpu ?? '4', memory: '16Gi', pods: '110' }, allocatable: { cpu: o.cpu ?? '4', memory: '15Gi', pods: '110' } } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      conditions: conds,
    },
  };
}

function mnode(name: string, o: { providerID?: string; pool?: string; initialized?: boolean; taints?: Taint[]; cpu?: string; unschedulable?: boolean } = {}): Node {
  const n = baseNode(name, { cpu: o.cpu, taints: o.taints, labels: { ...(o.pool ? { [NODEPOOL_LABEL]: o.pool } : {}), ...(o.initialized ? { [INITIALIZED_LABEL]: 'true' } : {}) } });
  return { ...n, spec: { ...n.spec, providerID: o.providerID, unschedulable: o.unschedulable } };
}

function setup(): { clock: VirtualClock; state: ClusterState; changes: StateChange[] } {
  const clock = new VirtualClock();
  const state = new ClusterState({ clock });
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));
  return { clock, state, changes };
}

const describeChange = (c: StateChange): string => {
  switch (c.type) {
    case 'Pod': return `Pod ${c.pod.metadata.name!}${c.deleted ? ' deleted' : ''}`;
    case 'PodProvisionable': return `PodProvisionable ${c.pod.metadata.name!}`;
    case 'PodUnbound': return `PodUnbound ${c.pod.metadata.name!}`;
    case 'Node': return `Node ${c.stateNode.name}${c.deleted ? ' deleted' : ''}`;
    case 'NodeDisrupting': return `NodeDisrupting ${c.stateNode.name}`;
    case 'NodePool': return `NodePool ${c.nodePool.metadata.name!}`;
    case 'Object': return `${c.kind} ${c.object.metadata.name!}`;
    case 'Synced': return 'Synced';
  }
};

describe('ClusterState: nodes and NodeClaims', () => {
  it('joins a claim and its node by providerID, whichever comes first, counting the machine once', () => {
    for (const order of ['claim-first', 'node-first'] as const) {
      const { state } = setup();
      const c = claim('c1', { providerID: 'kwok://i-1', nodeName: 'n1', initialized: true });
      const n = mnode('n1', { providerID: 'kwok://i-1', pool: 'default', initialized: true });
      if (order === 'claim-first') { state.apply('NodeClaim', c); state.apply('Node', n); } else { state.apply('Node', n); state.apply('NodeClaim', c); }
      assert.equal(state.nodeCount, 1, order);
      const sn = state.node('n1')!;
      assert.equal(sn, state.node('c1'), 'one view whichever name is asked');
      assert.equal(sn.id, 'kwok://i-1');
      assert.equal(sn.managed && sn.registered && sn.initialized, true);
      assert.equal(sn.inFlight, false);
      assert.deepEqual(state.nodePoolUsage('default'), { cpu: 4000, memory: 16 * 2 ** 30, pods: 110, nodes: 1 });
    }
  });

  it('counts a claim not launched yet as in-flight capacity sized by its requests, then re-keys it by providerID', () => {
    const { state } = setup();
    state.apply('NodeClaim', claim('c1'));
    let sn = state.node('c1')!;
    assert.equal(sn.id, 'nodeclaim/c1');
    assert.equal(sn.inFlight, true);
    assert.deepEqual(sn.allocatable, { cpu: 1000, memory: 2 ** 30, pods: 2 });
    assert.equal(sn.labels['topology.kubernetes.io/zone'], 'zone-a', 'single-valued requirements become labels');
    assert.equal(sn.labels['kubernetes.io/arch'], undefined);
    assert.deepEqual(state.snapshot().solverNodes.map((n) => [n.name, n.inFlight]), [['c1', true]]);
    assert.equal(state.snapshot().solverNodes[0]!.labels['kubernetes.io/hostname'], 'c1', 'hostname topology can count a claim in flight');
    state.apply('NodeClaim', claim('c1', { providerID: 'kwok://i-1' }));
    sn = state.node('c1')!;
    assert.equal(sn.id, 'kwok://i-1');
    assert.equal(state.nodeCount, 1);
    assert.deepEqual(sn.allocatable, { cpu: 4000, memory: 15 * 2 ** 30, pods: 110 });
    assert.equal(state.nodePoolUsage('default').nodes, 1);
    state.apply('Node', mnode('n1', { providerID: 'kwok://i-1', pool: 'default', taints: [{ key: 'startup', effect: 'NoSchedule' }] }));
    sn = state.node('n1')!;
    assert.equal(sn.registered, false);
    assert.equal(sn.initialized, false, 'a node of a claim is initialised only when the claim says so');
    assert.deepEqual(sn.taints, [], 'until then the claim taints count, without startup taints');
    assert.equal(sn.allocatable.memory, 15 * 2 ** 30, 'and the claim allocatable');
    state.apply('NodeClaim', claim('c1', { providerID: 'kwok://i-1', nodeName: 'n1', initialized: true }));
    sn = state.node('n1')!;
    assert.equal(sn.initialized, true);
    assert.equal(sn.allocatable.memory, 16 * 2 ** 30, 'then the node allocatable');
    assert.equal(state.nodeCount, 1);
  });

  it('carries the parsed capacity and claim labels of a machine across versions that share what they come from, and no further', () => {
    const state = new ClusterState({ clock: new VirtualClock() });
    const first = claim('c1', { providerID: 'p1' });
    state.apply('NodeClaim', first);
    const before = state.node('c1')!;
    // A status write as the API server makes it: a new object sharing every untouched subtree.
    const statusOnly = { ...first, status: { ...first.status, conditions: [{ type: 'Launched', status: 'True' as const }, { type: 'Registered', status: 'True' as const }] } };
    state.apply('NodeClaim', statusOnly);
    const carried = state.node('c1')!;
    assert.equal(carried.capacity, before.capacity);
    assert.equal(carried.allocatable, before.allocatable);
    assert.equal(carried.labels, before.labels);
    // Each source replaced, one at a time: its value is worked out again.
    const capacity = { ...statusOnly, status: { ...statusOnly.status, capacity: { cpu: '8', memory: '16Gi', pods: '110' } } };
    state.apply('NodeClaim', capacity);
    assert.deepEqual([state.node('c1')!.capacity.cpu, state.node('c1')!.allocatable], [8000, before.allocatable]);
    const allocatable = { ...capacity, status: { ...capacity.status, allocatable: { cpu: '7', memory: '15Gi', pods: '110' } } };
    state.apply('NodeClaim', allocatable);
    assert.equal(state.node('c1')!.allocatable.cpu, 7000);
    const relabelled = { ...allocatable, metadata: { ...allocatable.metadata, labels: { [NODEPOOL_LABEL]: 'default', team: 'a' } } };
    state.apply('NodeClaim', relabelled);
    assert.equal(state.node('c1')!.labels.team, 'a');
    const rezoned = { ...relabelled, spec: { ...relabelled.spec, requirements: [{ key: 'topology.kubernetes.io/zone', operator: 'In' as const, values: ['zone-b'] }] } };
    state.apply('NodeClaim', rezoned);
    assert.deepEqual([state.node('c1')!.labels['topology.kubernetes.io/zone'], state.node('c1')!.labels.team], ['zone-b', 'a']);
    // Once its Node joins, the machine shows the Node's labels, and after the Node leaves the claim's again.
    state.apply('Node', mnode('n1', { providerID: 'p1', initialized: true }));
    assert.equal(state.node('n1')!.labels.team, undefined);
    state.remove('Node', mnode('n1', { providerID: 'p1', initialized: true }));
    assert.equal(state.node('c1')!.labels.team, 'a');
  });

  it('treats a node without a claim as unmanaged and initialised', () => {
    const { state } = setup();
    state.apply('Node', mnode('static-1', { providerID: 'aws:///i-9' }));
    const sn = state.node('static-1')!;
    assert.equal(sn.managed, false);
    assert.equal(sn.initialized, true);
    assert.equal(sn.nodePool, undefined);
  });

  it('forgets a machine once both its node and claim are gone, and says so once', () => {
    const { state, changes } = setup();
    state.apply('NodeClaim', claim('c1', { providerID: 'p1' }));
    state.apply('Node', mnode('n1', { providerID: 'p1', pool: 'default' }));
    changes.length = 0;
    state.remove('Node', mnode('n1', { providerID: 'p1' }));
    assert.equal(state.nodeCount, 1);
    state.remove('NodeClaim', claim('c1', { providerID: 'p1' }));
    assert.equal(state.nodeCount, 0);
    assert.deepEqual(changes.map(describeChange), ['Node c1', 'Node c1 deleted']);
    assert.deepEqual(state.nodePoolUsage('default'), {});
  });
  it('moves the machines version only when a machine comes, goes or is renamed', () => {
    const { state } = setup();
    const version = (): number => state.snapshot().machinesVersion;
    const v0 = version();
    state.apply('NodeClaim', claim('c1'));
    const v1 = version();
    assert.notEqual(v1, v0, 'a claim arrived');
    state.apply('NodeClaim', claim('c1', { providerID: 'p1', nodeName: 'n1' }));
    const v2 = version();
    assert.notEqual(v2, v1, 're-keyed by providerID: a new record in another place');
    state.apply('NodeClaim', claim('c1', { providerID: 'p1', nodeName: 'n1', initialized: true }));
    state.apply('Pod', pod({ name: 'x', nodeName: 'n1' }));
    state.markForDeletion('c1');
    assert.equal(version(), v2, 'a status update, a pod and a mark leave names and order as they were');
    state.apply('Node', mnode('n1', { providerID: 'p1' }));
    const v3 = version();
    assert.notEqual(v3, v2, 'the Node joined: the machine is called n1 now');
    assert.deepEqual(state.snapshot().stateNodes.map((n) => n.name), ['n1']);
    state.apply('Node', mnode('n1', { providerID: 'p1', unschedulable: true }));
    assert.equal(version(), v3);
    state.remove('Node', mnode('n1', { providerID: 'p1' }));
    const v4 = version();
    assert.notEqual(v4, v3, 'the Node left: the machine is called c1 again');
    state.remove('NodeClaim', claim('c1', { providerID: 'p1' }));
    assert.notEqual(version(), v4, 'the machine left');
    assert.equal(state.nodeCount, 0);
  });
});

describe('ClusterState: pods', () => {
  it('keeps pods by node and their summed requests, DaemonSet pods apart, finished pods not counted', () => {
    const { state } = setup();
    state.apply('Node', mnode('n1'));
    const a = pod({ name: 'a', nodeName: 'n1', cpu: '500m', memory: '1Gi' });
    state.apply('Pod', a);
    state.apply('Pod', pod({ name: 'ds', nodeName: 'n1', cpu: '100m', ownerKind: 'DaemonSet' }));
    state.apply('Pod', { ...pod({ name: 'done', nodeName: 'n1', cpu: '2' }), status: { phase: 'Succeeded' } });
    let sn = state.node('n1')!;
    assert.deepEqual(sn.requested, { cpu: 600, memory: 2 ** 30, pods: 2 });
    assert.deepEqual(sn.daemonSetRequested, { cpu: 100, pods: 1 });
    assert.deepEqual(sn.pods.map((p) => p.metadata.name).sort(), ['a', 'ds']);
    assert.deepEqual(sn.daemonSetPods.map((p) => p.metadata.name), ['ds']);
    state.remove('Pod', a);
    sn = state.node('n1')!;
    assert.deepEqual(sn.requested, { cpu: 100, pods: 1 });
    assert.deepEqual(state.podsOnNode('n1').map((p) => p.metadata.name), ['ds']);
  });

  it('tracks unbound and provisionable pods and announces when a pod becomes either', () => {
    const { state, changes } = setup();
    const p = pod({ name: 'p' });
    state.apply('Pod', { ...p, status: { phase: 'Pending' } });
    state.apply('Pod', pod({ name: 'agent', ownerKind: 'DaemonSet' }));
    assert.deepEqual(state.pendingPods(), []);
    assert.deepEqual(state.unboundPods().map((x) => x.metadata.name), ['p'], 'unbound before any scheduler looked');
    state.apply('Pod', p);
    state.apply('Pod', { ...p, metadata: { ...p.metadata, labels: { x: 'y' } } });
    assert.deepEqual(state.pendingPods().map((x) => x.metadata.name), ['p']);
    assert.deepEqual(state.snapshot().unboundPods.map((x) => x.metadata.name), ['p']);
    state.apply('Pod', { ...p, spec: { ...p.spec, nodeName: 'n1' } });
    assert.deepEqual(state.pendingPods(), []);
    assert.deepEqual(state.unboundPods(), []);
    assert.deepEqual(changes.map(describeChange), ['Pod p', 'PodUnbound p', 'Pod agent', 'Pod p', 'PodProvisionable p', 'Pod p', 'Pod p']);
  });

  it('moves a pod between nodes and records when each node last saw a pod come or go', async () => {
    const { clock, state } = setup();
    state.apply('Node', mnode('n1'));
    state.apply('Node', mnode('n2'));
    const t0 = clock.now();
    state.apply('Pod', pod({ name: 'p', nodeName: 'n1', cpu: '1' }));
    await clock.step(5_000);
    state.apply('Pod', pod({ name: 'p', nodeName: 'n2', cpu: '1' }));
    assert.equal(state.node('n1')!.requested.cpu, undefined);
    assert.equal(state.node('n2')!.requested.cpu, 1000);
    assert.equal(state.node('n1')!.lastPodEventMs, t0 + 5_000);
    await clock.step(5_000);
    state.apply('Pod', pod({ name: 'p', nodeName: 'n2', cpu: '1', annotations: { a: 'b' } }));
    assert.equal(state.node('n2')!.lastPodEventMs, t0 + 5_000, 'an update in place is not a pod event');
  });
});

describe('ClusterState: controller marks', () => {
  it('nominates until a time on the clock, by node or claim name, even before it is seen', async () => {
    const { clock, state } = setup();
    state.nominate('c1', clock.now() + 20_000);
    state.apply('NodeClaim', claim('c1'));
    assert.equal(state.isNominated('c1'), true);
    assert.equal(state.node('c1')!.nominatedUntil, clock.now() + 20_000);
    state.nominate('c1', clock.now() + 1_000);
    await clock.step(19_999);
    assert.equal(state.isNominated('c1'), true, 'a shorter nomination does not cut a longer one');
    await clock.step(1);
    assert.equal(state.isNominated('c1'), false);
    assert.equal(state.node('c1')!.nominatedUntil, undefined);
  });

  it('marks for deletion: nothing new goes there, its pods must move, announced once', () => {
    const { state, changes } = setup();
    state.apply('NodeClaim', claim('c1', { providerID: 'p1', nodeName: 'n1', initialized: true }));
    state.apply('Node', mnode('n1', { providerID: 'p1', pool: 'default', initialized: true }));
    state.apply('Node', mnode('n2'));
    state.apply('Pod', pod({ name: 'web', nodeName: 'n1', cpu: '1' }));
    state.apply('Pod', pod({ name: 'ds', nodeName: 'n1', ownerKind: 'DaemonSet' }));
    changes.length = 0;
    state.markForDeletion('c1');
    state.markForDeletion('c1', 'n1');
    assert.deepEqual(changes.map(describeChange), ['Node n1', 'NodeDisrupting n1', 'Node n1']);
    const snap = state.snapshot();
    assert.deepEqual(snap.solverNodes.map((n) => n.name), ['n2']);
    assert.deepEqual(snap.reschedulablePods.map((p) => p.metadata.name), ['web']);
    assert.deepEqual(state.reschedulablePods().map((p) => p.metadata.name), ['web']);
    assert.equal(state.node('n1')!.markedForDeletion, true);
    state.unmarkForDeletion('c1', 'n1');
    assert.equal(state.node('n1')!.markedForDeletion, false);
    assert.deepEqual(state.snapshot().solverNodes.map((n) => n.name).sort(), ['n1', 'n2']);
  });

  it('hands the solver the same node object until the machine or its pods change', () => {
    const { state } = setup();
    state.apply('Node', mnode('n1'));
    const first = state.snapshot().solverNodes[0]!;
    assert.equal(state.snapshot().solverNodes[0], first);
    assert.deepEqual(first.pods, []);
    state.apply('Pod', pod({ name: 'web', nodeName: 'n1', cpu: '1' }));
    const withPod = state.snapshot().solverNodes[0]!;
    assert.notEqual(withPod, first);
    assert.deepEqual(withPod.pods.map((p) => p.metadata.name), ['web']);
    assert.equal(state.snapshot().solverNodes[0], withPod);
    state.apply('Node', mnode('n1', { unschedulable: true }));
    assert.equal(state.snapshot().solverNodes[0]!.unschedulable, true);
  });

  it('treats the disrupted taint and deletion like a mark, and a cordon as unschedulable', () => {
    const { state, changes } = setup();
    state.apply('Node', mnode('n1'));
    state.apply('Node', mnode('n2', { unschedulable: true }));
    changes.length = 0;
    state.apply('Node', mnode('n1', { taints: [DISRUPTED_TAINT] }));
    state.apply('Node', mnode('n1', { taints: [DISRUPTED_TAINT, { key: 'x', effect: 'NoSchedule' }] }));
    assert.deepEqual(changes.map(describeChange), ['Node n1', 'NodeDisrupting n1', 'Node n1']);
    const snap = state.snapshot({ exclude: new Set(['nobody']) });
    assert.deepEqual(snap.solverNodes.map((n) => [n.name, n.unschedulable]), [['n2', true]]);
    state.apply('NodeClaim', claim('gone', { deleting: true }));
    assert.equal(state.node('gone')!.markedForDeletion, true);
  });
});

describe('ClusterState: the rest of the cache', () => {
  it('keeps NodePools, DaemonSets, volumes and PDBs, and finds the budgets of a pod', () => {
    const { state, changes } = setup();
    state.apply('DaemonSet', daemonSet({ name: 'agent' }));
    const pdb = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 } };
    state.apply('PodDisruptionBudget', pdb);
    state.apply('PodDisruptionBudget', { metadata: { name: 'other-ns', namespace: 'prod' }, spec: { selector: {} } });
    assert.deepEqual(state.pdbsFor(pod({ labels: { app: 'web' } })).map((p) => p.metadata.name), ['web']);
    assert.deepEqual(state.pdbsFor(pod({ labels: { app: 'db' } })), []);
    assert.deepEqual(state.pdbsFor(pod({ namespace: 'prod' })).map((p) => p.metadata.name), ['other-ns']);
    state.remove('PodDisruptionBudget', pdb);
    assert.deepEqual(state.pdbsFor(pod({ labels: { app: 'web' } })), []);
    assert.deepEqual(state.daemonSets().map((d) => d.metadata.name), ['agent']);
    assert.deepEqual(state.snapshot().daemonSets.map((d) => d.metadata.name), ['agent']);
    assert.deepEqual(changes.map(describeChange), ['DaemonSet agent', 'PodDisruptionBudget web', 'PodDisruptionBudget other-ns', 'PodDisruptionBudget web']);
  });

  it('opens the sync gate once and tells waiters and listeners', async () => {
    const { state, changes } = setup();
    const waited = state.waitForSync();
    assert.equal(state.synced, false);
    state.markSynced();
    state.markSynced();
    await waited;
    assert.equal(state.synced, true);
    assert.deepEqual(changes.map(describeChange), ['Synced']);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const errors: unknown[] = [];
    const state = new ClusterState({ clock: new VirtualClock(), onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    state.subscribe(() => { throw new Error('bad listener'); });
    const off = state.subscribe((c) => seen.push(c.type));
    state.apply('Pod', pod({ name: 'x' }));
    off();
    state.apply('Pod', pod({ name: 'y' }));
    assert.deepEqual(seen, ['Pod', 'PodUnbound', 'PodProvisionable']);
    assert.equal(errors.length, 6);
  });
});

