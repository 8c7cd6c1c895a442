/**
 * SimulationBase carries what it derived from one pass to the next (see simulation-base-reuse).
 * Whatever the cluster did in between (pods bound, removed or relabelled, a node relabelled,
 * resized, cordoned or marked for deletion, a machine joining or leaving, the movable pods'
 * selectors changed), a base built
 * after the carry-over must hold exactly what a base built from scratch holds: one from a cluster
 * cache fed fresh objects of the same content, so none of its per-object results can carry over.
 * A base may be followed by another of the same cluster (a validation after its pass), and carried
 * from a base whose lazily built parts were read in full, in part or not at all.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { isReschedulable } from '../../state/pod-predicates.js';
import { pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { BaseCarry, SimulationBase } from './simulation-base.js';

type App = 'x' | 'y' | 'z' | 'w';
interface PodSpec { name: string; node: number | undefined; cpu: number; app: App; spread: 'none' | 'zone' | 'host'; selects: App; anti: boolean; port: boolean }
interface NodeSpec { zone: 'zone-a' | 'zone-b' | 'zone-c'; cpu: 2 | 4 | 8; cordoned: boolean; marked: boolean; uninitialised: boolean; gone: boolean }
interface World { nodes: NodeSpec[]; pods: PodSpec[]; candidates: number }

type Change =
  | { kind: 'add'; pod: Omit<PodSpec, 'name'> }
  | { kind: 'remove'; at: number }
  | { kind: 'relabel'; at: number; app: App }
  | { kind: 'zone'; node: number; zone: NodeSpec['zone'] }
  | { kind: 'resize'; node: number; cpu: NodeSpec['cpu'] }
  | { kind: 'cordon'; node: number }
  | { kind: 'uninitialise'; node: number }
  | { kind: 'mark'; node: number }
  | { kind: 'join'; zone: NodeSpec['zone']; cpu: NodeSpec['cpu'] }
  | { kind: 'leave'; at: number }
  /** One machine leaving and another joining before the next pass: as many machines, not at the same places. */
  | { kind: 'replace'; at: number; zone: NodeSpec['zone']; cpu: NodeSpec['cpu'] }
  | { kind: 'candidates'; count: number };

const NODES = 5;
/** The most machines a world can have had (each step adds at most one). */
const MOST_NODES = NODES + 8;
const app = fc.constantFrom<App>('x', 'y', 'z', 'w');
const podGen = fc.record({
  node: fc.option(fc.integer({ min: 0, max: NODES - 1 }), { nil: undefined, freq: 4 }),
  cpu: fc.integer({ min: 1, max: 15 }).map((n) => n * 100),
  app,
  spread: fc.constantFrom('none' as const, 'none' as const, 'zone' as const, 'host' as const),
  selects: app,
  anti: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  port: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
});
const zone = fc.constantFrom('zone-a' as const, 'zone-b' as const, 'zone-c' as const);
const cpu = fc.constantFrom(2 as const, 4 as const, 8 as const);
const nodeIndex = fc.integer({ min: 0, max: NODES - 1 });
const changeGen: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), pod: podGen }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('relabel' as const), at: fc.nat(), app }),
  fc.record({ kind: fc.constant('zone' as const), node: nodeIndex, zone }),
  fc.record({ kind: fc.constant('resize' as const), node: nodeIndex, cpu }),
  fc.record({ kind: fc.constant('cordon' as const), node: nodeIndex }),
  fc.record({ kind: fc.constant('uninitialise' as const), node: nodeIndex }),
  fc.record({ kind: fc.constant('mark' as const), node: nodeIndex }),
  fc.record({ kind: fc.constant('join' as const), zone, cpu }),
  fc.record({ kind: fc.constant('leave' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), zone, cpu }),
  fc.record({ kind: fc.constant('candidates' as const), count: fc.integer({ min: 0, max: NODES }) }),
);
const worldGen: fc.Arbitrary<World> = fc.record({
  nodes: fc.array(fc.record({ zone, cpu, cordoned: fc.constant(false), marked: fc.constant(false), uninitialised: fc.constant(false), gone: fc.constant(false) }), { minLength: NODES, maxLength: NODES }),
  pods: fc.array(podGen, { maxLength: 14 }).map((pods) => pods.map((p, i) => ({ ...p, name: `p${i}` }))),
  candidates: fc.integer({ min: 0, max: NODES }),
});

/** A fresh pod object for the spec (the cache is handed a new object per version, as informers do). */
function makePod(s: PodSpec): Pod {
  const p = pod({
    name: s.name, cpu: `${s.cpu}m`, memory: '128Mi', labels: { app: s.app }, nodeName: s.node === undefined ? undefined : `n${s.node}`,
    hostPort: s.port ? 8080 : undefined,
    spread: s.spread === 'none' ? undefined : [{
      maxSkew: 1, topologyKey: s.spread === 'zone' ? 'topology.kubernetes.io/zone' : 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: s.selects } },
    }],
    affinity: s.anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { app: s.selects } } }] } } : undefined,
  });
  if (s.node !== undefined) p.status = { phase: 'Running' };
  return p;
}

function machine(i: number, s: NodeSpec): { claim: NodeClaim; node: Node } {
  const q = { cpu: String(s.cpu), memory: `${s.cpu * 4}Gi`, pods: '110' };
  const labels = { 'karpenter.sh/nodepool': 'default', 'topology.kubernetes.io/zone': s.zone, 'kubernetes.io/hostname': `n${i}`, 'karpenter.sh/initialized': 'true' };
  const claim: NodeClaim = { metadata: { name: `n${i}`, labels }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } }, status: { providerID: `p://${i}`, nodeName: `n${i}`, capacity: q, allocatable: q } };
  const node: Node = { metadata: { name: `n${i}`, labels: s.uninitialised ? { ...labels, 'karpenter.sh/initialized': 'false' } : labels }, spec: { providerID: `p://${i}`, unschedulable: s.cordoned }, status: { capacity: q, allocatable: q } };
  return { claim, node };
}

function build(w: World): ClusterState {
  const state = new ClusterState({ clock: new VirtualClock() });
  w.nodes.forEach((s, i) => {
    if (s.gone) return;
    const m = machine(i, s);
    state.apply('NodeClaim', m.claim);
    state.apply('Node', m.node);
    if (s.marked) state.markForDeletion(`n${i}`);
  });
  for (const p of w.pods) state.apply('Pod', makePod(p));
  return state;
}

/** Applies the change to the world and, as the informers would, to the cache that has seen the world so far. */
function change(w: World, state: ClusterState, c: Change, seq: number): World {
  const podAt = (at: number): PodSpec | undefined => w.pods[at % Math.max(1, w.pods.length)];
  const withNode = (i: number, s: NodeSpec): World => {
    if (s.gone) return w;
    const nodes = w.nodes.map((n, j) => (j === i ? s : n));
    const m = machine(i, s);
    state.apply('NodeClaim', m.claim); // an uninitialised node's room is its claim's
    state.apply('Node', m.node);
    return { ...w, nodes };
  };
  switch (c.kind) {
    case 'add': {
      // No pod is bound to a machine that left.
      const p = { ...c.pod, node: c.pod.node !== undefined && w.nodes[c.pod.node]!.gone ? undefined : c.pod.node, name: `q${seq}` };
      state.apply('Pod', makePod(p));
      return { ...w, pods: [...w.pods, p] };
    }
    case 'remove': {
      const p = podAt(c.at);
      if (!p) return w;
      state.remove('Pod', makePod(p));
      return { ...w, pods: w.pods.filter((q) => q !== p) };
    }
    case 'relabel': {
      const p = podAt(c.at);
      if (!p) return w;
      const q = { ...p, app: c.app };
      state.apply('Pod', makePod(q));
      return { ...w, pods: [...w.pods.filter((r) => r !== p), q] }; // an updated pod goes last, as in the cache
    }
    case 'zone': return withNode(c.node, { ...w.nodes[c.node]!, zone: c.zone });
    case 'resize': return withNode(c.node, { ...w.nodes[c.node]!, cpu: c.cpu });
    case 'cordon': return withNode(c.node, { ...w.nodes[c.node]!, cordoned: !w.nodes[c.node]!.cordoned });
    case 'uninitialise': return withNode(c.node, { ...w.nodes[c.node]!, uninitialised: !w.nodes[c.node]!.uninitialised });
    case 'mark': {
      if (w.nodes[c.node]!.gone) return w;
      state.markForDeletion(`n${c.node}`);
      return { ...w, nodes: w.nodes.map((n, j) => (j === c.node ? { ...n, marked: true } : n)) };
    }
    case 'join': {
      const s: NodeSpec = { zone: c.zone, cpu: c.cpu, cordoned: false, marked: false, uninitialised: false, gone: false };
      const m = machine(w.nodes.length, s);
      state.apply('NodeClaim', m.claim);
      state.apply('Node', m.node);
      return { ...w, nodes: [...w.nodes, s] };
    }
    case 'leave': {
      // A machine that is not already gone, with its pods (as terminating it would).
      const live = w.nodes.flatMap((n, i) => (n.gone ? [] : [i]));
      if (live.length === 0) return w;
      const i = live[c.at % live.length]!;
      const bound = w.pods.filter((p) => p.node === i);
      for (const p of bound) state.remove('Pod', makePod(p));
      const m = machine(i, w.nodes[i]!);
      state.remove('Node', m.node);
      state.remove('NodeClaim', m.claim);
      return { ...w, nodes: w.nodes.map((n, j) => (j === i ? { ...n, gone: true } : n)), pods: w.pods.filter((p) => p.node !== i) };
    }
    case 'replace': return change(change(w, state, { kind: 'leave', at: c.at }, seq), state, { kind: 'join', zone: c.zone, cpu: c.cpu }, seq);
    case 'candidates': return { ...w, candidates: c.count };
  }
}

/** Per pod list of the cache, its reschedulable pods (one list object per pod list, as the candidate scan keeps them). */
const reschedulableOf = new WeakMap<readonly Pod[], Pod[]>();
function reschedulable(pods: readonly Pod[]): Pod[] {
  let r = reschedulableOf.get(pods);
  if (r === undefined) reschedulableOf.set(pods, (r = pods.filter(isReschedulable)));
  return r;
}

/** The base a pass makes of the state now; with `carry`, after the bases made with it before. */
function baseOf(state: ClusterState, w: World, carry?: BaseCarry): SimulationBase {
  const snapshot = state.snapshot();
  // Per machine, as a pass hands them over; the lists are new objects whenever the machine's pods changed.
  const candidatePods = w.nodes.slice(0, w.candidates).flatMap((n, i) => (n.gone ? [] : [reschedulable(state.node(`n${i}`)!.pods)]));
  return new SimulationBase({ snapshot, pools: new Map(), pending: snapshot.pendingPods, candidatePods, carry });
}

/** What a pass reads of a base before the next is made: all, none, or only the subsets or the most free room. */
type Reads = 'all' | 'none' | 'keep' | 'free';
const readsGen = fc.constantFrom<Reads>('all', 'all', 'none', 'keep', 'free');
interface Step { change: Change; reads: Reads; again: boolean; againReads: Reads }
const stepGen: fc.Arbitrary<Step> = fc.record({ change: changeGen, reads: readsGen, again: fc.boolean(), againReads: readsGen });

/** Everything a simulation reads from a base: its nodes, which it keeps for a few probes, the most free room. */
function contents(base: SimulationBase, reads: Reads = 'all'): unknown {
  const small = [pod({ cpu: '100m', memory: '64Mi' })];
  const large = [pod({ cpu: '1500m', memory: '64Mi' })];
  // Fits no node: every node but the pinned ones is left out unless it is the twin its domains need.
  const huge = [pod({ cpu: '64', memory: '64Mi' })];
  const subsets = [[new Set<string>(), small], [new Set(['n0']), small], [new Set(['n1', 'n2']), large], [new Set<string>(), huge], [new Set(['n4']), huge]] as const;
  const keeps = reads === 'all' || reads === 'keep';
  const free = reads === 'all' || reads === 'free';
  const names = Array.from({ length: MOST_NODES }, (_, i) => `n${i}`);
  return {
    nodes: keeps ? base.solverNodes(new Set(), small).base.nodes.map((n) => ({ ...n, pods: n.pods.map(keyOf) })) : undefined,
    keep: keeps ? subsets.map(([exclude, pods]) => [...base.solverNodes(exclude, pods).keep]) : undefined,
    // Then with every node but one left out: what each node counts for alone.
    maxFree: free ? [base.maxFree(new Set()), base.maxFree(new Set(['n0', 'n3'])), ...names.map((n) => base.maxFree(new Set(names.filter((m) => m !== n))))] : undefined,
    inFlight: [...base.inFlight],
    deletingPods: [...base.deletingPods].sort(),
  };
}

/** The part of full contents a base read with `reads` holds. */
function part(full: unknown, reads: Reads): unknown {
  const c = full as Record<string, unknown>;
  const keeps = reads === 'all' || reads === 'keep';
  const free = reads === 'all' || reads === 'free';
  return { ...c, nodes: keeps ? c.nodes : undefined, keep: keeps ? c.keep : undefined, maxFree: free ? c.maxFree : undefined };
}

/**
 * The pods each node of the base should keep, read from the world alone: those with host ports or
 * required anti-affinity, and those a selector of a pod the pass may move selects.
 */
function expectedKept(w: World): Map<string, string[]> {
  const leaving = (s: PodSpec): boolean => s.node === undefined || w.nodes[s.node]!.marked || s.node < w.candidates;
  const selected = new Set(w.pods.filter((s) => leaving(s) && (s.spread !== 'none' || s.anti)).map((s) => s.selects));
  const kept = new Map<string, string[]>();
  w.nodes.forEach((n, i) => { if (!n.marked && !n.gone) kept.set(`n${i}`, []); });
  for (const s of w.pods) {
    if (s.node === undefined || !(s.anti || s.port || selected.has(s.app))) continue;
    kept.get(`n${s.node}`)?.push(`default/${s.name}`);
  }
  return kept;
}

describe('SimulationBase carried from pass to pass', () => {
  it('holds what a base built from scratch holds, whatever changed in between', () => {
    fc.assert(fc.property(worldGen, fc.array(stepGen, { minLength: 1, maxLength: 8 }), (initial, steps) => {
      const changes = steps.map((s) => s.change);
      // First what each world holds, from scratch; then the carried bases one after another, as passes make them.
      const worlds: World[] = [];
      const scratch = build(initial);
      changes.forEach((c, seq) => worlds.push(change(worlds[seq - 1] ?? initial, scratch, c, seq)));
      const expected = worlds.map((w) => contents(baseOf(build(w), w)));
      let world = initial;
      const state = build(world);
      const carry = new BaseCarry();
      baseOf(state, world, carry);
      changes.forEach((c, seq) => {
        world = change(world, state, c, seq);
        const step = steps[seq]!;
        const carried = baseOf(state, world, carry);
        assert.deepEqual(contents(carried, step.reads), part(expected[seq], step.reads), `after ${JSON.stringify(c)}`);
        if (step.reads === 'all') {
          const kept = new Map(carried.solverNodes(new Set(), []).base.nodes.map((n) => [n.name, n.pods.map(keyOf).sort()]));
          const keptByWorld = expectedKept(world);
          for (const names of keptByWorld.values()) names.sort();
          assert.deepEqual(kept, keptByWorld, `kept pods after ${JSON.stringify(c)}`);
        }
        // A validation's base: the same cluster again.
        if (step.again) assert.deepEqual(contents(baseOf(state, world, carry), step.againReads), part(expected[seq], step.againReads), `again after ${JSON.stringify(c)}`);
      });
    }), { numRuns: 300 });
  });
});
