import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TopologySpreadConstraint } from '../../apis/core.js';
import { pod, solverNode } from '../../test/builders.js';
import type { StateNode } from '../../state/state-node.js';
import { keptList, movableTerms, nodeEntries, nodeEntry, podTerms, positionsByName, signatureOf } from './simulation-base-reuse.js';

const zoneSpread = (app: string): TopologySpreadConstraint[] =>
  [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } }];

describe('simulation base reuse', () => {
  const n = solverNode('n', { zone: 'zone-a', bound: [pod({ name: 'a' }), pod({ name: 'b' })] });

  it('hands back the last kept list while it holds the same pods, a new one otherwise', () => {
    const first = keptList(n.pods, n.pods.slice(0, 1));
    assert.equal(keptList(n.pods, n.pods.slice(0, 1)), first);
    const other = n.pods.slice(1);
    assert.equal(keptList(n.pods, other), other);
    assert.equal(keptList(n.pods, n.pods.slice(1)), other);
  });

  it('reads one object of terms for pods with equal terms, another for other selectors, ports or anti-affinity', () => {
    const a = podTerms(pod({ labels: { app: 'a' }, spread: zoneSpread('a') }));
    assert.equal(podTerms(pod({ labels: { app: 'other' }, spread: zoneSpread('a') })), a);
    assert.deepEqual(a.keys, ['topology.kubernetes.io/zone']);
    assert.equal(a.topology, true);
    assert.notEqual(podTerms(pod({ spread: zoneSpread('b') })), a);
    assert.equal(podTerms(pod({ spread: zoneSpread('a'), hostPort: 80 })).hostPorts, true);
    assert.equal(podTerms(pod({ affinity: { podAntiAffinity: {} } })).topology, true);
    const anti = podTerms(pod({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'a' } } }] } } }));
    assert.deepEqual([anti.antiAffinity, anti.keys], [true, ['kubernetes.io/hostname']]);
    assert.deepEqual([podTerms(pod()).topology, podTerms(pod()).hostPorts, podTerms(pod()).antiAffinity], [false, false, false]);
  });

  it('gives the same selector index for the same selector set in any order, a new one when it changes', () => {
    const a = pod({ spread: zoneSpread('a') });
    const b = pod({ spread: zoneSpread('b') });
    const first = movableTerms([[a, pod()], [b]]);
    assert.equal(first.selectors.matchesAny({ app: 'b' }), true);
    assert.equal(movableTerms([], [b, a]).selectors, first.selectors);
    const fewer = movableTerms([[a]]);
    assert.notEqual(fewer.selectors, first.selectors);
    assert.equal(fewer.selectors.matchesAny({ app: 'b' }), false);
    assert.deepEqual([movableTerms([[pod()]]).topology, movableTerms([], [pod()]).keys], [false, []]);
  });

  it('reads the topology keys of lasting lists, then of fresh ones, in the order the pods carry them', () => {
    const host = pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'h' } } }] } } });
    const custom = pod({ spread: [{ ...zoneSpread('c')[0]!, topologyKey: 'custom' }] });
    const lasting = [pod({ spread: zoneSpread('a') }), host];
    assert.deepEqual(movableTerms([lasting, [custom]], [host]).keys, ['topology.kubernetes.io/zone', 'kubernetes.io/hostname', 'custom']);
    assert.deepEqual(movableTerms([[custom]], lasting).keys, ['custom', 'topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    const withFresh = movableTerms([lasting], [pod({ spread: zoneSpread('fresh') })]);
    assert.equal(withFresh.selectors.matchesAny({ app: 'fresh' }), true);
    assert.equal(movableTerms([lasting]).selectors.matchesAny({ app: 'fresh' }), false);
  });

  it('answers as the last call while the lasting lists are the same objects and the fresh ones hold the same pods', () => {
    const lasting = [pod({ spread: zoneSpread('a') })];
    const fresh = [pod({ spread: zoneSpread('b') })];
    const first = movableTerms([lasting], fresh);
    assert.equal(movableTerms([lasting], [...fresh]), first);
    fresh.push(pod({ spread: [{ ...zoneSpread('c')[0]!, topologyKey: 'custom' }] })); // the caller's list changed in place
    const grown = movableTerms([lasting], fresh);
    assert.notEqual(grown, first);
    assert.deepEqual(grown.keys, ['topology.kubernetes.io/zone', 'custom']);
    assert.equal(movableTerms([lasting], fresh), grown);
    assert.notEqual(movableTerms([lasting], fresh, []), grown); // one more fresh list
    const other = movableTerms([[pod({ spread: zoneSpread('d') })]], fresh);
    assert.equal(other.selectors.matchesAny({ app: 'd' }), true);
    assert.equal(other.selectors.matchesAny({ app: 'a' }), false);
  });

  it('keeps an entry per node while the node, the selector index and the requests are the same', () => {
    const bound = [pod({ name: 'web', cpu: '1', labels: { app: 'web' } }), pod({ name: 'api', cpu: '1', labels: { app: 'api' } })];
    const node = solverNode('m', { zone: 'zone-a', cpu: '4', bound });
    const api = movableTerms([], [pod({ spread: zoneSpread('api') })]).selectors;
    const first = nodeEntry(node, { cpu: 2000, pods: 2 }, api);
    assert.deepEqual([first.node.pods, first.node.allocatable.cpu, first.free.cpu, first.freeCpu, first.pinned], [[node.pods[1]], 3000, 2000, 2000, true]);
    assert.equal(nodeEntry(node, { cpu: 2000, pods: 2 }, api), first);
    const busier = nodeEntry(node, { cpu: 3000, pods: 2 }, api);
    assert.deepEqual([busier.free.cpu, busier.node.allocatable.cpu], [1000, 2000]);
    assert.notEqual(busier.node, first.node);
    const web = movableTerms([], [pod({ spread: zoneSpread('web') })]).selectors;
    assert.deepEqual(nodeEntry(node, { cpu: 3000, pods: 2 }, web).node.pods, [node.pods[0]]);
    const none = movableTerms([]).selectors;
    assert.deepEqual([nodeEntry(node, { cpu: 3000, pods: 2 }, none).node.pods, nodeEntry(node, { cpu: 3000, pods: 2 }, none).pinned], [[], false]);
  });

  it('hands back the last reduced node of a node while it keeps the same pods with the same room', () => {
    const bound = [pod({ name: 'kept', cpu: '1', hostPort: 80 }), pod({ name: 'left', cpu: '1' })];
    const node = solverNode('r', { cpu: '4', bound });
    const selectors = movableTerms([]).selectors;
    const first = nodeEntry(node, { cpu: 2000, pods: 2 }, selectors);
    assert.deepEqual([first.node.pods, first.node.allocatable.cpu], [[node.pods[0]], 3000]);
    const again = nodeEntry(node, { pods: 2, cpu: 2000, memory: 0 }, selectors);
    assert.notEqual(again, first);
    assert.equal(again.node, first.node);
    assert.notEqual(nodeEntry(node, { cpu: 3000, pods: 2 }, selectors).node, first.node);
  });

  it('marks a cordoned node as taking nothing', () => {
    const e = nodeEntry(solverNode('c', { unschedulable: true }), {}, movableTerms([]).selectors);
    assert.deepEqual([e.freeCpu, e.freeMemory, e.freePods], [-Infinity, -Infinity, -Infinity]);
  });

  it('makes the free room of a node without a machine view from its pods, and leaves the node whole', () => {
    const bound = [pod({ name: 'one', cpu: '1' })];
    const node = solverNode('v', { cpu: '4', bound });
    const e = nodeEntry(node, undefined, movableTerms([]).selectors);
    assert.equal(e.node, node);
    assert.equal(e.free.cpu, 3000);
  });

  it('finds machines by name in the list it is given, the last of a name, whatever list came before', () => {
    const machine = (name: string, n: number): StateNode => ({ name, requested: { cpu: n } }) as unknown as StateNode;
    const find = (machines: StateNode[], name: string): StateNode | undefined => machines[positionsByName(machines)(name)];
    const first = [machine('a', 1), machine('b', 2), machine('a', 3)];
    assert.equal(find(first, 'a'), first[2]);
    const again = [machine('a', 4), machine('b', 5), machine('a', 6)];
    assert.deepEqual([find(again, 'a'), find(again, 'b'), positionsByName(again)('c')], [again[2], again[1], -1]);
    const prefix = [machine('a', 12), machine('b', 13)];
    assert.equal(find(prefix, 'a'), prefix[0]);
    const renamed = [machine('a', 7), machine('c', 8), machine('b', 9)];
    assert.deepEqual([find(renamed, 'a'), find(renamed, 'b'), find(renamed, 'c')], [renamed[0], renamed[2], renamed[1]]);
    const longer = [...renamed, machine('d', 11)];
    assert.equal(find(longer, 'd'), longer[3]);
    const shorter = [machine('b', 10)];
    assert.deepEqual([positionsByName(shorter)('a'), find(shorter, 'b')], [-1, shorter[0]]);
  });

  it('takes the last entries of nodes at the same place over the same machines, and looks up the others', () => {
    const view = (name: string, cpu: number): StateNode => ({ name, requested: { cpu } }) as unknown as StateNode;
    const nodes = ['x', 'y', 'z'].map((name) => solverNode(name, { bound: [pod({ cpu: '1' })] }));
    const selectors = movableTerms([]).selectors;
    const machines = [view('z', 1000), view('x', 1000), view('y', 1000)];
    const first = nodeEntries(machines, nodes, selectors);
    assert.deepEqual(first.map((e) => e.free.cpu), [3000, 3000, 3000]);
    // y's view changed (more requested), z moved after a new machine of x's name: x is now that one.
    const next = [view('z', 1000), machines[1]!, view('y', 2000), view('x', 3000)];
    const second = nodeEntries(next, nodes, selectors);
    assert.deepEqual(second.map((e) => e.free.cpu), [1000, 2000, 3000]);
    const same = nodeEntries(next, nodes, selectors);
    assert.deepEqual(same, second);
    same.forEach((e, i) => assert.equal(e, second[i]));
    // The same names in the same order, but the two machines named x swapped: x's is the first one again.
    const swapped = nodeEntries([next[0]!, next[3]!, next[2]!, next[1]!], nodes, selectors);
    assert.deepEqual(swapped.map((e) => e.free.cpu), [3000, 2000, 3000]);
    assert.deepEqual(nodeEntries(next, [nodes[1]!, nodes[0]!], selectors).map((e) => e.free.cpu), [2000, 1000]);
    assert.equal(nodeEntries([], nodes, selectors)[0]!.free.cpu, 3000);
  });

  it('makes the signature of the node\'s values for the keys and its taints, again for other keys or taints', () => {
    const keys = ['topology.kubernetes.io/zone', 'x'];
    assert.equal(signatureOf(n, keys, JSON.stringify(keys)), JSON.stringify([['zone-a', null], []]));
    assert.equal(signatureOf(n, ['x'], '["x"]'), JSON.stringify([[null], []]));
    const tainted = { ...n, taints: [{ key: 'k', effect: 'NoSchedule' }] };
    assert.equal(signatureOf(tainted, ['x'], '["x"]'), JSON.stringify([[null], tainted.taints]));
  });
});
