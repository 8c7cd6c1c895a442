import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Affinity, Node, Pod, TopologySpreadConstraint } from '../../apis/core.js';
import { solve } from '../../scheduling/solver.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { SolverNode } from '../../scheduling/types.js';
import { node, pod } from '../../test/builders.js';
import { NodeLedger } from './node-ledger.js';
import { SolverNodeBase, SolverNodeMemo, solverNodes } from './solver-view.js';
import type { PlacedPod } from './solver-view.js';
import { applyLedgerOp, placedEarlier, type LedgerOp, type LedgerWorld } from './fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const APPS = ['x', 'y', 'z'] as const;

interface NodeGen { zone: string; cpu: number; ready: boolean; cordoned: boolean; tainted: boolean }
interface PodGen { app: (typeof APPS)[number]; milli: number; kind: 'plain' | 'spread' | 'soft-spread' | 'spread-xy' | 'affinity' | 'anti' | 'anti-zone' | 'port' }

const nodeGen = fc.record({
  zone: fc.constantFrom('a', 'b', 'c'),
  cpu: fc.integer({ min: 1, max: 8 }),
  ready: fc.constantFrom(true, true, true, false),
  cordoned: fc.constantFrom(false, false, false, true),
  tainted: fc.constantFrom(false, false, false, true),
});
const podGen = fc.record({
  app: fc.constantFrom(...APPS),
  milli: fc.integer({ min: 1, max: 20 }).map((n) => n * 100),
  kind: fc.constantFrom('plain', 'plain', 'spread', 'soft-spread', 'spread-xy', 'affinity', 'anti', 'anti-zone', 'port'),
});

function constraints(kind: PodGen['kind']): { spread?: TopologySpreadConstraint[]; affinity?: Affinity; hostPort?: number } {
  switch (kind) {
    case 'plain':
      return {};
    case 'spread':
    case 'soft-spread':
      return { spread: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: kind === 'spread' ? 'DoNotSchedule' : 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'x' } } }] };
    case 'spread-xy':
      // Selects pods another kind's selector selects too.
      return { spread: [{ maxSkew: 1, topologyKey: HOST, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['x', 'y'] }] } }] };
    case 'affinity':
      return { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: 'z' } } }] } } };
    case 'anti':
      return { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: { app: 'y' } } }] } } };
    case 'anti-zone':
      return { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: 'y' } } }] } } };
    case 'port':
      return { hostPort: 8080 };
  }
}

function makePod(name: string, g: PodGen, nodeName?: string): Pod {
  return pod({ name, cpu: `${g.milli}m`, labels: { app: g.app }, ...constraints(g.kind), ...(nodeName ? { nodeName } : {}) });
}

function makeNode(name: string, g: NodeGen): Node {
  const n = node(name, { cpu: String(g.cpu), labels: { [ZONE]: g.zone }, ...(g.tainted ? { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } : {}) });
  return {
    ...n,
    spec: { ...n.spec, ...(g.cordoned ? { unschedulable: true } : {}) },
    status: { ...n.status, conditions: [{ type: 'Ready', status: g.ready ? 'True' : 'False' }] },
  };
}

/** Pod name → node name, and the pods that fit nowhere in the solver's order (what the scheduler marks in turn). */
function placements(result: ReturnType<typeof solve>): { placed: Map<string, string>; unschedulable: string[] } {
  const placed = new Map<string, string>();
  for (const e of result.existingNodes) for (const p of e.pods) placed.set(p.metadata.name ?? '', e.node);
  return { placed, unschedulable: result.unschedulable.map((u) => u.pod.metadata.name ?? '') };
}

/** The node with its pods as the solver reads them (it never reads a pod's status). */
function asSolverReads(n: SolverNode): unknown {
  return { ...n, pods: n.pods.map((p) => ({ metadata: p.metadata, spec: p.spec })) };
}

describe('solverNodes', () => {
  const sameAsFull = (pendingGen: fc.Arbitrary<PodGen>, nodesGen: fc.Arbitrary<NodeGen> = nodeGen): void => {
    fc.assert(fc.property(
      fc.array(nodesGen, { minLength: 1, maxLength: 7 }),
      fc.array(fc.tuple(podGen, fc.nat()), { maxLength: 25 }),
      fc.array(pendingGen, { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(podGen, fc.nat()), { maxLength: 4 }),
      (nodes, bound, pending, placedEarlier) => {
        const ledger = new NodeLedger();
        nodes.forEach((g, i) => ledger.setNode(makeNode(`n${i}`, g)));
        bound.forEach(([g, at], i) => ledger.setPod(makePod(`bound-${i}`, g, `n${at % nodes.length}`)));
        const placed = new Map<string, PlacedPod[]>();
        placedEarlier.forEach(([g, at], i) => {
          const p = makePod(`earlier-${i}`, g, `n${at % nodes.length}`);
          const list = placed.get(p.spec.nodeName!) ?? [];
          list.push({ pod: p, requests: podRequests(p) });
          placed.set(p.spec.nodeName!, list);
        });
        const group = pending.map((g, i) => {
          const p = makePod(`pending-${i}`, g);
          return { pod: p, requests: podRequests(p) };
        });
        const pods = group.map((g) => g.pod);
        const reduced = solve({ pods, nodePools: [], nodes: solverNodes({ ledger, pods: group, placed }).nodes });
        const full = solve({ pods, nodePools: [], nodes: solverNodes({ ledger, pods: group, placed, showAll: true }).nodes });
        assert.deepEqual(placements(reduced), placements(full));
      },
    ), { numRuns: 300, seed: 20251130 });
  };

  it('places pending pods exactly as the solver does when shown every node and every pod', () => sameAsFull(podGen));

  it('... also when no pending pod has inter-pod constraints (only nodes with room are shown)', () =>
    sameAsFull(podGen.map((g) => ({ ...g, kind: 'plain' as const }))));

  it('... also when the pending pods are too big for most nodes (often no room anywhere)', () =>
    sameAsFull(podGen.map((g) => ({ ...g, milli: 1500 + (g.milli % 600) })), nodeGen.map((g) => ({ ...g, cpu: 1 + (g.cpu % 2) }))));

  it('gives the same nodes with a memo kept across ledger changes as without one, and the same solves over a kept base', () => {
    // Node names run past the nodes made at first: nodes come and go, and pods are bound to names with no node.
    type Op = LedgerOp<NodeGen, PodGen> | { kind: 'run'; i: number } | { kind: 'relabel'; i: number; app: (typeof APPS)[number] } | { kind: 'solve' };
    const opGen: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('bind' as const), g: podGen, at: fc.nat() }),
      fc.record({ kind: fc.constant('unbind' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('node' as const), i: fc.nat(), g: nodeGen }),
      fc.record({ kind: fc.constant('run' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('relabel' as const), i: fc.nat(), app: fc.constantFrom(...APPS) }),
      fc.record({ kind: fc.constant('drop-node' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('solve' as const) }),
    );
    // A group: its pending pods, and where pods were placed earlier in the pass (none, often).
    const groupGen = fc.record({
      pending: fc.array(podGen, { minLength: 1, maxLength: 4 }),
      placed: fc.array(fc.tuple(podGen, fc.nat()), { maxLength: 3 }),
    });
    fc.assert(fc.property(
      fc.array(nodeGen, { minLength: 1, maxLength: 6 }),
      fc.array(opGen, { maxLength: 40 }),
      fc.array(groupGen, { minLength: 1, maxLength: 3 }),
      (nodes, ops, groupGens) => {
        const names = nodes.length + 2;
        const ledger = new NodeLedger();
        nodes.forEach((g, i) => ledger.setNode(makeNode(`n${i}`, g)));
        const bound: Pod[] = [];
        const world: LedgerWorld<NodeGen, PodGen> = { ledger, bound, names, makeNode, makePod };
        const memo = new SolverNodeMemo();
        const nodeBase = new SolverNodeBase();
        const groups = groupGens.map(({ pending, placed: earlier }, k) => {
          const group = pending.map((g, i) => {
            const p = makePod(`pending-${k}-${i}`, g);
            return { pod: p, requests: podRequests(p) };
          });
          return { group, pods: group.map((g) => g.pod), placed: placedEarlier(world, earlier, k) };
        });
        // The groups solved in turn with one memo, as a pass's groups are, and the first without what was placed.
        const check = (): void => {
          for (const { group, pods, placed } of [{ ...groups[0]!, placed: new Map<string, PlacedPod[]>() }, ...groups]) {
            const fresh = solverNodes({ ledger, pods: group, placed });
            const kept = solverNodes({ ledger, pods: group, placed, memo });
            // A status update makes no new solver node: its pods are compared as the solver reads them.
            assert.deepEqual(kept.nodes.map(asSolverReads), fresh.nodes.map(asSolverReads));
            assert.equal(kept.topology, fresh.topology);
            // Solving over the kept base, when the nodes are some of its nodes, is solving over them;
            // with a base kept per kind of view, as the scheduler keeps them.
            const hand = [...kept.nodes].reverse().filter((_, i) => i % 2 === 0).reverse();
            const lineage = kept.topology ? 'every node' : 'nodes with room';
            for (const nodes of [kept.nodes, hand]) {
              assert.deepEqual(placements(solve({ pods, nodePools: [], nodeSubset: nodeBase.subset(nodes, lineage) })), placements(solve({ pods, nodePools: [], nodes })));
            }
          }
        };
        check();
        ops.forEach((op, k) => {
          if (op.kind === 'run') {
            if (bound.length === 0) return;
            // A status update: the same pod, a new object.
            const i = op.i % bound.length;
            const p = bound[i]!;
            bound[i] = { ...p, status: { ...p.status, phase: 'Running' } };
            ledger.setPod(bound[i]);
          } else if (op.kind === 'relabel') {
            if (bound.length === 0) return;
            const i = op.i % bound.length;
            const p = bound[i]!;
            bound[i] = { ...p, metadata: { ...p.metadata, labels: { app: op.app } } };
            ledger.setPod(bound[i]);
          } else if (op.kind === 'solve') {
            check();
          } else {
            applyLedgerOp(world, op, k);
          }
        });
        check();
      },
    ), { numRuns: 300, seed: 20251130 });
  });

  it('gives the same nodes with a memo as without one after more changes than the ledger journals', () => {
    const ledger = new NodeLedger();
    for (let i = 0; i < 4; i++) ledger.setNode(node(`n${i}`, { cpu: '4' }));
    const memo = new SolverNodeMemo();
    const p = pod({ name: 'new', cpu: '1' });
    const group = [{ pod: p, requests: podRequests(p) }];
    const before = solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes;
    assert.equal(before.length, 4);
    // Far more changes than the journal keeps; the last fills n0 and drops n1.
    for (let i = 0; i < 10_000; i++) ledger.setNode(node(`n${i % 4}`, { cpu: '4' }));
    ledger.setPod(pod({ name: 'big', cpu: '4', nodeName: 'n0' }));
    ledger.removeNode('n1');
    assert.equal(ledger.changedSince(0), undefined);
    const after = solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes;
    assert.deepEqual(after.map((n) => n.name), ['n2', 'n3']);
    assert.deepEqual(after, solverNodes({ ledger, pods: group, placed: new Map() }).nodes);
  });

  it('hands out the same nodes again while nothing it shows changed', () => {
    const ledger = new NodeLedger();
    ledger.setNode(node('a', { cpu: '4' }));
    ledger.setNode(node('b', { cpu: '1' }));
    const memo = new SolverNodeMemo();
    const big = pod({ name: 'big', cpu: '2' });
    const group = [{ pod: big, requests: podRequests(big) }];
    const first = solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes;
    assert.equal(solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes, first);
    // A pod joining b, where big fits neither before nor after, shows the same nodes.
    ledger.setPod(pod({ name: 'small', cpu: '100m', nodeName: 'b' }));
    assert.equal(solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes, first);
    // One joining a shows a new a.
    ledger.setPod(pod({ name: 'other', cpu: '100m', nodeName: 'a' }));
    const after = solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes;
    assert.deepEqual(after.map((n) => [n.name, n.allocatable.cpu]), [['a', 3900]]);
  });

  it('keeps a base per lineage: lists of another kind in between do not replace it', () => {
    const ledger = new NodeLedger();
    for (const [name, zone] of [['a', 'a'], ['b', 'b'], ['c', 'c']] as const) ledger.setNode(node(name, { cpu: '4', labels: { [ZONE]: zone } }));
    ledger.setPod(pod({ name: 'x', cpu: '1', nodeName: 'a', labels: { app: 'x' } }));
    const memo = new SolverNodeMemo();
    const spread = pod({ name: 'spread', cpu: '1', labels: { app: 'x' }, ...constraints('spread') });
    const plain = pod({ name: 'plain', cpu: '1' });
    const every = solverNodes({ ledger, pods: [{ pod: spread, requests: podRequests(spread) }], placed: new Map(), memo });
    const room = solverNodes({ ledger, pods: [{ pod: plain, requests: podRequests(plain) }], placed: new Map(), memo });
    assert.equal(every.topology, true);
    assert.equal(room.topology, false);
    // Node a shows pod x to the spread pod only: the two lists hold different objects for it.
    assert.notEqual(every.nodes.find((n) => n.name === 'a'), room.nodes.find((n) => n.name === 'a'));
    const nodeBase = new SolverNodeBase();
    const first = nodeBase.subset(every.nodes, 'every node').base;
    assert.notEqual(nodeBase.subset(room.nodes, 'nodes with room').base, first);
    assert.equal(nodeBase.subset(every.nodes, 'every node').base, first);
    // One lineage for both: the list of the other kind replaced the base.
    const shared = new SolverNodeBase();
    const before = shared.subset(every.nodes).base;
    shared.subset(room.nodes);
    assert.notEqual(shared.subset(every.nodes).base, before);
  });

  it('keeps one view for groups of the same requests in another order', () => {
    const ledger = new NodeLedger();
    ledger.setNode(node('a', { cpu: '4' }));
    ledger.setNode(node('b', { cpu: '2' }));
    const memo = new SolverNodeMemo();
    const small = pod({ name: 'small', cpu: '1' });
    const big = pod({ name: 'big', cpu: '3' });
    const group = [small, big].map((p) => ({ pod: p, requests: podRequests(p) }));
    const first = solverNodes({ ledger, pods: group, placed: new Map(), memo }).nodes;
    assert.equal(solverNodes({ ledger, pods: [...group].reverse(), placed: new Map(), memo }).nodes, first);
  });

  it('reads a pending pod\'s selectors again when a new object of it shares the spec but not the labels', () => {
    const ledger = new NodeLedger();
    ledger.setNode(node('a', { cpu: '4', labels: { [ZONE]: 'a' } }));
    ledger.setNode(node('b', { cpu: '4', labels: { [ZONE]: 'b' } }));
    ledger.setPod(pod({ name: 'x', cpu: '1', nodeName: 'a', labels: { app: 'x' } }));
    ledger.setPod(pod({ name: 'y', cpu: '1', nodeName: 'b', labels: { app: 'y' } }));
    // The constraint selects the pods labelled as the pending pod is (matchLabelKeys, no selector).
    const first = pod({ name: 'new', cpu: '1', labels: { app: 'x' }, spread: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'] }] });
    const shown = (p: Pod): string[][] => solverNodes({ ledger, pods: [{ pod: p, requests: podRequests(p) }], placed: new Map() })
      .nodes.map((n) => [n.name, ...n.pods.map((q) => q.metadata.name ?? '')]).sort();
    assert.deepEqual(shown(first), [['a', 'x'], ['b']]);
    // A status write shares spec and labels; a relabel shares the spec alone.
    assert.deepEqual(shown({ ...first, status: { phase: 'Pending' } }), [['a', 'x'], ['b']]);
    assert.deepEqual(shown({ ...first, metadata: { ...first.metadata, labels: { app: 'y' } } }), [['a'], ['b', 'y']]);
  });

  it('hides what pods without inter-pod constraints cannot use', () => {
    const ledger = new NodeLedger();
    ledger.setNode(node('full', { cpu: '2' }));
    ledger.setNode(node('roomy', { cpu: '8' }));
    ledger.setNode({ ...node('down', { cpu: '8' }), status: { ...node('down').status, conditions: [{ type: 'Ready', status: 'False' }] } });
    for (let i = 0; i < 20; i++) ledger.setPod(pod({ name: `f${i}`, cpu: '100m', nodeName: 'full', labels: { app: 'x' } }));
    ledger.setPod(pod({ name: 'r', cpu: '1', nodeName: 'roomy', labels: { app: 'x' } }));
    const p = pod({ name: 'new', cpu: '1' });
    const view = solverNodes({ ledger, pods: [{ pod: p, requests: podRequests(p) }], placed: new Map() });
    assert.equal(view.topology, false);
    assert.deepEqual(view.nodes.map((n) => n.name), ['roomy']);
    // The hidden pod's request is taken off allocatable instead.
    assert.equal(view.nodes[0]!.pods.length, 0);
    assert.equal(view.nodes[0]!.allocatable.cpu, 7000);
    const spread = pod({ name: 'spread', cpu: '1', labels: { app: 'x' }, spread: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } }] });
    const all = solverNodes({ ledger, pods: [{ pod: spread, requests: podRequests(spread) }], placed: new Map() });
    assert.equal(all.topology, true);
    assert.deepEqual(all.nodes.map((n) => [n.name, n.pods.length, n.unschedulable]), [['roomy', 1, false], ['full', 20, false], ['down', 0, true]]);
  });

  it('shows pods with inter-pod constraints only the nodes with anti-affinity pods when no node has room for them', () => {
    const ledger = new NodeLedger();
    ledger.setNode(node('a', { cpu: '2', labels: { [ZONE]: 'a' } }));
    ledger.setNode(node('b', { cpu: '2', labels: { [ZONE]: 'b' } }));
    ledger.setPod(pod({ name: 'x', cpu: '1500m', nodeName: 'a', labels: { app: 'x' } }));
    ledger.setPod(pod({ name: 'y', cpu: '1500m', nodeName: 'b', labels: { app: 'y' }, ...constraints('anti') }));
    const spread = pod({ name: 'spread', cpu: '1', labels: { app: 'x' }, ...constraints('spread') });
    const full = solverNodes({ ledger, pods: [{ pod: spread, requests: podRequests(spread) }], placed: new Map() });
    assert.equal(full.topology, false);
    assert.deepEqual(full.nodes.map((n) => [n.name, n.pods.length]), [['b', 1]]);
    const small = pod({ name: 'small', cpu: '500m', labels: { app: 'x' }, ...constraints('spread') });
    const room = solverNodes({ ledger, pods: [{ pod: small, requests: podRequests(small) }], placed: new Map() });
    assert.equal(room.topology, true);
    assert.deepEqual(room.nodes.map((n) => n.name).sort(), ['a', 'b']);
  });
});
