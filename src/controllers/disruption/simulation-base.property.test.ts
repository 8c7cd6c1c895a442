/**
 * The reduced solver view (pods irrelevant to the simulation left out of nodes, their requests taken
 * off allocatable; nodes unable to take any pod dropped when no topology is involved) must give
 * exactly the solve the full snapshot gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod, TopologySpreadConstraint } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { HOSTNAME_LABEL } from '../../apis/labels.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverResult } from '../../scheduling/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { isReschedulable } from '../../state/pod-predicates.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import { nodePool, pod } from '../../test/builders.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import { VirtualClock } from '../../utils/clock.js';
import { TEST_TYPES } from './fixtures.js';
import { SimulationBase } from './simulation-base.js';
import { movableTerms, nodeEntries } from './simulation-base-reuse.js';
import { simulate } from './simulation.js';
import type { LeavingNode, PoolInfo } from './types.js';

interface PodGen { cpu: number; app: 'x' | 'y' | 'z'; spread: 'none' | 'zone' | 'host'; anti: boolean; port: boolean; tolerates: boolean; honorTaints: boolean }
interface NodeGen { cpu: 2 | 4 | 8; zone: 'zone-a' | 'zone-b' | 'zone-c' | 'zone-x'; pods: PodGen[]; cordoned: boolean; tainted: boolean }

const podGen = (topology: boolean): fc.Arbitrary<PodGen> => fc.record({
  cpu: fc.integer({ min: 1, max: 20 }).map((n) => n * 100),
  app: fc.constantFrom('x' as const, 'y' as const, 'z' as const),
  spread: topology ? fc.constantFrom('none' as const, 'none' as const, 'zone' as const, 'host' as const) : fc.constant('none' as const),
  anti: topology ? fc.integer({ min: 0, max: 3 }).map((n) => n === 0) : fc.constant(false),
  port: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  tolerates: fc.boolean(),
  honorTaints: fc.boolean(),
});

interface ClusterGen { nodes: NodeGen[]; pending: PodGen[]; leaving: number[]; poolTainted: boolean; poolZoneA: boolean }

const clusterGen = (topology: boolean): fc.Arbitrary<ClusterGen> =>
  fc.array(fc.record({
    cpu: fc.constantFrom(2 as const, 4 as const, 8 as const),
    // zone-x: no instance type offers it, so only existing nodes make it a domain.
    zone: fc.constantFrom('zone-a' as const, 'zone-b' as const, 'zone-c' as const, 'zone-x' as const),
    pods: fc.array(podGen(topology), { maxLength: 8 }),
    cordoned: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    tainted: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  }), { minLength: 2, maxLength: 12 }).chain((nodes) => fc.record({
    nodes: fc.constant(nodes),
    pending: fc.array(podGen(topology), { maxLength: 3 }),
    leaving: fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { minLength: 1, maxLength: 3 }),
    poolTainted: fc.boolean(),
    poolZoneA: fc.boolean(),
  }));

let seq = 0;
function makePod(g: PodGen, nodeName: string | undefined): Pod {
  const spread: TopologySpreadConstraint[] | undefined = g.spread === 'none' ? undefined : [{
    maxSkew: 1, topologyKey: g.spread === 'zone' ? 'topology.kubernetes.io/zone' : 'kubernetes.io/hostname',
    whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: g.app } }, nodeTaintsPolicy: g.honorTaints ? 'Honor' : undefined,
  }];
  const p = pod({
    name: `p${++seq}`, cpu: `${g.cpu}m`, tolerations: g.tolerates ? [{ key: 'dedicated', operator: 'Exists' }] : undefined, memory: '256Mi', labels: { app: g.app }, nodeName, spread, hostPort: g.port ? 8080 : undefined,
    affinity: g.anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: g.app } } }] } } : undefined,
  });
  if (nodeName) p.status = { phase: 'Running' };
  return p;
}

function build(c: { nodes: NodeGen[]; pending: PodGen[] }): ClusterState {
  const state = new ClusterState({ clock: new VirtualClock() });
  c.nodes.forEach((n, i) => {
    const q = { cpu: String(n.cpu), memory: `${n.cpu * 4}Gi`, pods: '110' };
    const labels = { 'karpenter.sh/nodepool': 'default', 'topology.kubernetes.io/zone': n.zone, 'kubernetes.io/hostname': `n${i}`, 'node.kubernetes.io/instance-type': n.cpu === 2 ? 'small' : n.cpu === 4 ? 'medium' : 'large', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', 'karpenter.sh/initialized': 'true' };
    const claim: NodeClaim = { metadata: { name: `n${i}`, labels }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } }, status: { providerID: `p://${i}`, nodeName: `n${i}`, capacity: q, allocatable: q } };
    const taints = n.tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' as const }] : undefined;
    const node: Node = { metadata: { name: `n${i}`, labels }, spec: { providerID: `p://${i}`, unschedulable: n.cordoned, taints }, status: { capacity: q, allocatable: q } };
    state.apply('NodeClaim', claim);
    state.apply('Node', node);
    for (const g of n.pods) state.apply('Pod', makePod(g, `n${i}`));
  });
  for (const g of c.pending) state.apply('Pod', makePod(g, undefined));
  return state;
}

/** Where each pod went: an existing node, "new" (with its claim's price), or "unschedulable". */
function outcome(r: SolverResult, pods: readonly Pod[]): string[] {
  const where = new Map<string, string>();
  for (const n of r.existingNodes) for (const p of n.pods) where.set(keyOf(p), n.node);
  for (const c of r.newNodeClaims) for (const p of c.pods) where.set(keyOf(p), `new ${c.pricePerHour} ${c.pods.length}`);
  for (const u of r.unschedulable) where.set(keyOf(u.pod), 'unschedulable');
  return pods.map((p) => `${keyOf(p)} → ${where.get(keyOf(p)) ?? '?'}`);
}

function poolInfo(tainted: boolean, zoneA: boolean): PoolInfo {
  // A tainted pool registers its zones with that taint: only nodes then make them eligible for Honor spreads.
  // A pool held to zone-a registers only that zone: other zones are domains only through nodes.
  const np = nodePool({
    taints: tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined,
    requirements: zoneA ? [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] : undefined,
  });
  return { name: 'default', nodePool: withDefaults(np), instanceTypes: TEST_TYPES, typesByName: new Map(TEST_TYPES.map((t) => [t.name, t])) };
}

function check(c: ClusterGen): void {
  const state = build(c);
  const snapshot = state.snapshot();
  const leaving: LeavingNode[] = c.leaving.map((i) => {
    const v = state.node(`n${i}`)!;
    return { nodeName: `n${i}`, claimName: `n${i}`, nodePoolName: 'default', capacity: v.capacity, reschedulablePods: v.pods.filter(isReschedulable) };
  });
  const base = new SimulationBase({ snapshot, pools: new Map([['default', poolInfo(c.poolTainted, c.poolZoneA)]]), pending: snapshot.pendingPods, candidatePods: leaving.flatMap((l) => l.reschedulablePods) });
  const reduced = simulate(base, leaving);
  const full = state.snapshot({ exclude: new Set(leaving.map((l) => l.nodeName)) });
  const moving = leaving.flatMap((l) => l.reschedulablePods);
  const expected = solve({ pods: [...moving, ...full.pendingPods], nodes: full.solverNodes, nodePools: base.solverPools(leaving), daemonSets: [], volumes: full.volumes });
  const all = [...moving, ...full.pendingPods];
  assert.deepEqual(outcome(reduced.solverResult, all), outcome(expected, all));
  assert.equal(reduced.solverResult.totalPricePerHour, expected.totalPricePerHour);
}

/**
 * The nodes a simulation keeps, worked out from scratch over every node: all but the left-out ones
 * and those useless for `pods` (no room for the smallest, accepting none) that pin nothing, except
 * that each topology signature keeps its first useless node when no useful one is kept.
 */
function keepFromScratch(snapshot: ReturnType<ClusterState['snapshot']>, candidatePods: readonly Pod[], exclude: ReadonlySet<string>, pods: readonly Pod[]): number[] {
  const { selectors, keys: movableKeys, topology: terms } = movableTerms([candidatePods], snapshot.reschedulablePods, snapshot.pendingPods);
  const entries = nodeEntries(snapshot.stateNodes, snapshot.solverNodes, selectors);
  const keys = new Set(movableKeys);
  for (const e of entries) for (const k of e.antiKeys) keys.add(k);
  keys.delete(HOSTNAME_LABEL);
  const keyList = [...keys];
  const minCpu = Math.min(...pods.map((p) => safePodRequests(p)[CPU] ?? 0));
  const minMemory = Math.min(...pods.map((p) => safePodRequests(p)[MEMORY] ?? 0));
  const represented = new Set<string>();
  const droppable: number[] = [];
  const keep = entries.map(() => 0);
  entries.forEach((e, i) => {
    if (exclude.has(e.node.name)) return;
    const sig = keys.size > 0 || terms ? e.signature(keyList, JSON.stringify(keyList)) : undefined;
    if (e.pinned || (e.freePods >= 1 && e.freeCpu >= minCpu && e.freeMemory >= minMemory)) {
      keep[i] = 1;
      if (sig !== undefined) represented.add(sig);
    } else if (sig !== undefined) droppable.push(i);
  });
  for (const i of droppable) {
    const sig = entries[i]!.signature(keyList, JSON.stringify(keyList));
    if (represented.has(sig)) continue;
    represented.add(sig);
    keep[i] = 1;
  }
  return keep;
}

/** Several simulations over one base: which nodes each leaves out, and the pods it places. */
interface KeepTrial { leaving: number[]; pods: number[] }

function checkKeep(c: ClusterGen, trials: KeepTrial[]): void {
  const state = build(c);
  const snapshot = state.snapshot();
  const candidatePods = snapshot.stateNodes.flatMap((v) => v.pods.filter(isReschedulable));
  const base = new SimulationBase({ snapshot, pools: new Map([['default', poolInfo(c.poolTainted, c.poolZoneA)]]), pending: snapshot.pendingPods, candidatePods });
  const all = [...candidatePods, ...snapshot.pendingPods];
  for (const t of trials) {
    const exclude = new Set(t.leaving.filter((i) => i < c.nodes.length).map((i) => `n${i}`));
    const pods = t.pods.map((k) => all[k % all.length]!).filter((p) => p !== undefined);
    if (pods.length === 0) continue;
    assert.deepEqual([...base.solverNodes(exclude, pods).keep], keepFromScratch(snapshot, candidatePods, exclude, pods));
  }
}

const keepTrials = fc.array(fc.record({
  leaving: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 4 }),
  pods: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
}), { minLength: 1, maxLength: 6 });

describe('SimulationBase', () => {
  it('keeps the nodes a from-scratch pass over every node keeps, simulation after simulation', () => {
    fc.assert(fc.property(clusterGen(true), keepTrials, checkKeep), { numRuns: 200 });
    fc.assert(fc.property(clusterGen(false), keepTrials, checkKeep), { numRuns: 200 });
  });

  it('keeps a full node that alone makes its zone a domain (a spread counts the empty zone)', () => {
    const spread: PodGen = { cpu: 1000, app: 'x', spread: 'zone', anti: false, port: false, tolerates: false, honorTaints: false };
    const filler: PodGen = { ...spread, cpu: 2000, app: 'y', spread: 'none' };
    check({
      nodes: [
        { cpu: 8, zone: 'zone-a', pods: [], cordoned: false, tainted: false },
        { cpu: 2, zone: 'zone-x', pods: [filler], cordoned: false, tainted: false },
        { cpu: 4, zone: 'zone-a', pods: [spread, spread], cordoned: false, tainted: false },
      ],
      pending: [], leaving: [2], poolTainted: false, poolZoneA: true,
    });
  });

  it('keeps a full untainted node when its zone twin is tainted (Honor spreads count only tolerated domains)', () => {
    const spread: PodGen = { cpu: 1000, app: 'x', spread: 'zone', anti: false, port: false, tolerates: false, honorTaints: true };
    const filler: PodGen = { ...spread, cpu: 2000, app: 'y', spread: 'none' };
    check({
      nodes: [
        { cpu: 8, zone: 'zone-a', pods: [], cordoned: false, tainted: false },
        { cpu: 8, zone: 'zone-x', pods: [], cordoned: false, tainted: true },
        { cpu: 2, zone: 'zone-x', pods: [filler], cordoned: false, tainted: false },
        { cpu: 4, zone: 'zone-a', pods: [spread, spread], cordoned: false, tainted: false },
      ],
      pending: [], leaving: [3], poolTainted: false, poolZoneA: true,
    });
  });

  it('solves exactly as the full snapshot does, with topology terms', () => {
    fc.assert(fc.property(clusterGen(true), (c) => check(c)), { numRuns: 150 });
  });

  it('solves exactly as the full snapshot does without topology (nodes pruned)', () => {
    fc.assert(fc.property(clusterGen(false), (c) => check(c)), { numRuns: 150 });
  });
});
