/**
 * A solve over a subset of a prepared NodeBase must be the solve over those nodes handed in plainly:
 * random nodes (zones, one zone no pool offers, a missing zone label, taints of equal content in
 * distinct objects, cordoned and in-flight nodes, an extended resource on some) with bound pods
 * carrying zone and hostname spreads (either taint and affinity policy, either
 * whenUnsatisfiable), required anti-affinity and pod affinity, host ports; several solves with
 * other pods and other subsets over one base, so what the base keeps from one solve meets the next.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Affinity, Pod, Taint, TopologySpreadConstraint } from '../apis/core.js';
import { instanceType, nodePool, placements, pod, solverNode } from '../test/builders.js';
import { existingCounts, NodeBase, NodeBaseChain, type NodeLineup, registerNodeDomains, registerNodeResources } from './node-base.js';
import { ResourceSpace } from './resource-space.js';
import { requiredAntiAffinityTerms } from './pod-constraints.js';
import { Topology } from './topology.js';
import { solve } from './solver.js';
import type { SolverNode, SolverNodePool } from './types.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const GPU = 'example.com/gpu';

interface PodGen {
  cpu: number;
  gpu: boolean;
  app: 'x' | 'y' | 'z';
  spread: 'none' | 'zone' | 'host';
  honorTaints: boolean;
  ignoreAffinity: boolean;
  anyway: boolean;
  anti: 'none' | 'host' | 'zone';
  near: boolean;
  port: boolean;
  tolerates: boolean;
  zoneA: boolean;
}

interface NodeGen {
  cpu: 2 | 4 | 8;
  zone: 'zone-a' | 'zone-b' | 'zone-c' | 'zone-x' | 'none';
  gpu: boolean;
  tainted: boolean;
  cordoned: boolean;
  inFlight: boolean;
  pods: PodGen[];
}

interface Trial { pending: PodGen[]; keep: boolean[] }
interface World { nodes: NodeGen[]; trials: Trial[]; poolTainted: boolean; poolZoneA: boolean }

const rarely = (n: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: n }).map((x) => x === 0);

const podGen: fc.Arbitrary<PodGen> = fc.record({
  cpu: fc.integer({ min: 1, max: 20 }).map((n) => n * 100),
  gpu: rarely(6),
  app: fc.constantFrom('x' as const, 'y' as const, 'z' as const),
  spread: fc.constantFrom('none' as const, 'none' as const, 'zone' as const, 'host' as const),
  honorTaints: fc.boolean(),
  ignoreAffinity: rarely(3),
  anyway: rarely(3),
  anti: fc.constantFrom('none' as const, 'none' as const, 'none' as const, 'host' as const, 'zone' as const),
  near: rarely(5),
  port: rarely(8),
  tolerates: fc.boolean(),
  zoneA: rarely(4),
});

const nodeGen: fc.Arbitrary<NodeGen> = fc.record({
  cpu: fc.constantFrom(2 as const, 4 as const, 8 as const),
  zone: fc.constantFrom('zone-a' as const, 'zone-b' as const, 'zone-c' as const, 'zone-x' as const, 'none' as const),
  gpu: rarely(4),
  tainted: rarely(3),
  cordoned: rarely(6),
  inFlight: rarely(6),
  pods: fc.array(podGen, { maxLength: 6 }),
});

const worldGen: fc.Arbitrary<World> = fc.array(nodeGen, { minLength: 1, maxLength: 10 }).chain((nodes) => fc.record({
  nodes: fc.constant(nodes),
  trials: fc.array(fc.record({
    pending: fc.array(podGen, { minLength: 1, maxLength: 5 }),
    keep: fc.array(fc.integer({ min: 0, max: 4 }).map((n) => n !== 0), { minLength: nodes.length, maxLength: nodes.length }),
  }), { minLength: 1, maxLength: 4 }),
  poolTainted: fc.boolean(),
  poolZoneA: fc.boolean(),
}));

let seq = 0;

function makePod(g: PodGen): Pod {
  const spread: TopologySpreadConstraint[] | undefined = g.spread === 'none' ? undefined : [{
    maxSkew: 1,
    topologyKey: g.spread === 'zone' ? ZONE : HOST,
    whenUnsatisfiable: g.anyway ? 'ScheduleAnyway' : 'DoNotSchedule',
    labelSelector: { matchLabels: { app: g.app } },
    nodeTaintsPolicy: g.honorTaints ? 'Honor' : undefined,
    nodeAffinityPolicy: g.ignoreAffinity ? 'Ignore' : undefined,
  }];
  const affinity: Affinity = {};
  if (g.anti !== 'none') {
    affinity.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: g.anti === 'host' ? HOST : ZONE, labelSelector: { matchLabels: { app: g.app } } }] };
  }
  if (g.near) affinity.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: 'x' } } }] };
  return pod({
    name: `p${++seq}`,
    cpu: `${g.cpu}m`,
    memory: '256Mi',
    requests: g.gpu ? { [GPU]: '1' } : undefined,
    labels: { app: g.app },
    spread,
    affinity: g.anti !== 'none' || g.near ? affinity : undefined,
    hostPort: g.port ? 8080 : undefined,
    tolerations: g.tolerates ? [{ key: 'dedicated', operator: 'Exists' }] : undefined,
    nodeSelector: g.zoneA ? { [ZONE]: 'zone-a' } : undefined,
  });
}

function makeNode(g: NodeGen, i: number): SolverNode {
  // A taint array per node: equal content, distinct objects.
  const taints: Taint[] = g.tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : [];
  const n = solverNode(`n${i}`, { cpu: String(g.cpu), memory: `${g.cpu * 4}Gi`, zone: g.zone === 'none' ? undefined : g.zone, taints, bound: g.pods.map(makePod), unschedulable: g.cordoned, inFlight: g.inFlight });
  return g.gpu ? { ...n, allocatable: { ...n.allocatable, [GPU]: 2 } } : n;
}

function pools(w: World): SolverNodePool[] {
  const np = nodePool({
    taints: w.poolTainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined,
    requirements: w.poolZoneA ? [{ key: ZONE, operator: 'In', values: ['zone-a'] }] : undefined,
  });
  const types = [2, 4, 8].map((cpu) => instanceType(`t${cpu}`, { cpu: String(cpu), memory: `${cpu * 4}Gi`, price: cpu * 0.05 }));
  return [{ nodePool: np, instanceTypes: types }];
}

function check(w: World, nodes = w.nodes.map(makeNode), base = new NodeBase(nodes)): void {
  const nodePools = pools(w);
  for (const t of w.trials) {
    const pods = t.pending.map(makePod);
    const keep = Uint8Array.from(t.keep, (k) => (k ? 1 : 0));
    const prepared = solve({ pods, nodePools, nodeSubset: { base, keep } });
    const plain = solve({ pods, nodePools, nodes: nodes.filter((_, i) => t.keep[i]) });
    assert.deepEqual(prepared, plain);
  }
}

/**
 * Domains registered and existing pods counted over a subset, in the order a pass over the subset's
 * nodes one by one registers and counts them (groups list domains in that order; what Topology
 * registers depends on which node of a domain comes first).
 */
function checkOrder(w: World, nodes = w.nodes.map(makeNode), base = new NodeBase(nodes)): void {
  const antiPod: PodGen = { cpu: 100, gpu: false, app: 'x', spread: 'none', honorTaints: false, ignoreAffinity: false, anyway: false, anti: 'zone', near: false, port: false, tolerates: false, zoneA: false };
  const terms = [...requiredAntiAffinityTerms(makePod(antiPod)), ...requiredAntiAffinityTerms(makePod({ ...antiPod, anti: 'host' }))];
  for (const t of w.trials) {
    const keep = Uint8Array.from(t.keep, (k) => (k ? 1 : 0));
    const kept = nodes.map((n, i) => ({ n, i })).filter(({ i }) => keep[i] === 1);
    const prepared = new Topology();
    const plain = new Topology();
    const groups = terms.map((term) => [prepared.group(term), plain.group(term)] as const);
    registerNodeDomains(prepared, { base, keep }, [ZONE, HOST]);
    for (const key of [ZONE, HOST]) for (const { n } of kept) if (n.labels[key] !== undefined) plain.registerDomain(key, n.labels[key], n.taints);
    for (const [a, b] of groups) assert.deepEqual([...a.counts], [...b.counts]);
    // Counting into groups that know no domain yet: the order new domains are added in.
    const countedPrepared = terms.map((term) => new Topology().group(term));
    const countedPlain = terms.map((term) => new Topology().group(term));
    for (const g of countedPrepared) existingCounts({ base, keep }).recordInto(g);
    for (const g of countedPlain) for (const { i } of kept) g.recordNode(base.facts[i]!.placement);
    countedPrepared.forEach((g, k) => assert.deepEqual([...g.counts], [...countedPlain[k]!.counts]));
    // Resource names: registered in the order registering each kept node's names would give.
    const preparedSpace = new ResourceSpace();
    const plainSpace = new ResourceSpace();
    registerNodeResources(preparedSpace, { base, keep });
    for (const { i } of kept) plainSpace.register(base.facts[i]!.names);
    assert.deepEqual(preparedSpace.names, plainSpace.names);
  }
}

/**
 * The next base's nodes: some of the world's node objects (in this order), and new ones around
 * them; then a third base's: some of the second's (what the second carried is carried on).
 */
interface Next { take: number[]; fresh: NodeGen[]; again: number[] }

const nextGen: fc.Arbitrary<Next> = fc.record({
  take: fc.uniqueArray(fc.nat({ max: 9 }), { maxLength: 10 }),
  fresh: fc.array(nodeGen, { maxLength: 3 }),
  again: fc.uniqueArray(fc.nat({ max: 12 }), { maxLength: 13 }),
});

/** Checks a base of `nodes` solves and counts as a fresh one, each trial keeping nodes as it kept w's. */
function checkBase(w: World, nodes: SolverNode[], base: NodeBase): void {
  const kept: World = { ...w, trials: w.trials.map((t) => ({ ...t, keep: nodes.map((_, i) => t.keep[i % t.keep.length]!) })) };
  check(kept, nodes, base);
  checkOrder(kept, nodes, base);
}

/**
 * A caller's lineup of a new list with the last: per entry of `noise`, -2 keeps the true index
 * (-1 for a new node), any other value replaces it (-1: not carried; an index: maybe another node).
 */
function lineupOf(truth: readonly number[], noise: readonly number[]): Int32Array {
  return Int32Array.from(truth, (t, i) => (noise[i] === undefined || noise[i] === -2 ? t : noise[i]));
}

/**
 * A base made after another (carrying what it derived for the same node objects: facts, domains,
 * term counts, roomy nodes, whether each accepts pods and holds pods, its resource names) solves
 * and counts as a fresh one, and so does a third made after that one. With `lined`, each base is
 * made with a lineup of its nodes with the last base's: true, partial or wrong in places (`noise`),
 * or (`stale`) with another array of the same nodes in another order, which the chain does not use.
 */
function checkCarried(w: World, next: Next, lined?: { noise: readonly number[]; stale: boolean }): void {
  const first = w.nodes.map(makeNode);
  const chain = new NodeBaseChain();
  const previous = chain.next(first);
  // Solves over the previous base first, so it has derived domains and term counts to hand over.
  check(w, first, previous);
  checkOrder(w, first, previous);
  const fresh = next.fresh.map((g, k) => makeNode(g, 100 + k));
  const taken = next.take.filter((i) => i < first.length);
  const nodes = [...fresh.slice(0, 1), ...taken.map((i) => first[i]!), ...fresh.slice(1)];
  if (nodes.length === 0) return;
  let lineup: NodeLineup | undefined;
  if (lined) {
    const from = lineupOf([...fresh.slice(0, 1).map(() => -1), ...taken, ...fresh.slice(1).map(() => -1)], lined.noise);
    const reversed = [...first].reverse();
    lineup = lined.stale ? { nodes: reversed, from: from.map((j) => (j < 0 ? j : first.length - 1 - j)) } : { nodes: first, from };
  }
  checkBase(w, nodes, chain.next(nodes, lineup));
  const again = next.again.filter((i) => i < nodes.length);
  const third = again.map((i) => nodes[i]!);
  if (third.length === 0) return;
  checkBase(w, third, chain.next(third, lined ? { nodes, from: lineupOf(again, lined.noise.slice().reverse()) } : undefined));
}

describe('NodeBase', () => {
  it('solves and counts after a previous base as a fresh base does', () => {
    fc.assert(fc.property(worldGen, nextGen, (w, next) => checkCarried(w, next)), { numRuns: 300 });
  });
  it('solves and counts after a previous base, with a true, partial, wrong or stale lineup, as a fresh base does', () => {
    const noise = fc.array(fc.oneof({ arbitrary: fc.constant(-2), weight: 3 }, { arbitrary: fc.integer({ min: -1, max: 12 }), weight: 1 }), { maxLength: 13 });
    fc.assert(fc.property(worldGen, nextGen, noise, fc.boolean(), (w, next, n, stale) => checkCarried(w, next, { noise: n, stale })), { numRuns: 300 });
  });

  it('solves over a subset exactly as over those nodes alone', () => {
    fc.assert(fc.property(worldGen, (w) => check(w)), { numRuns: 300 });
  });

  it('registers resource names and domains and counts existing pods over a subset in node order', () => {
    fc.assert(fc.property(worldGen, (w) => checkOrder(w)), { numRuns: 300 });
  });

  it('registers an extended resource only a left-out node has as a solve without that node does', () => {
    const gpu: NodeGen = { cpu: 4, zone: 'zone-a', gpu: true, tainted: false, cordoned: false, inFlight: false, pods: [] };
    const plainNode: NodeGen = { ...gpu, gpu: false };
    const want: PodGen = { cpu: 100, gpu: false, app: 'x', spread: 'none', honorTaints: false, ignoreAffinity: false, anyway: false, anti: 'none', near: false, port: false, tolerates: false, zoneA: false };
    check({ nodes: [gpu, plainNode], trials: [{ pending: [want], keep: [false, true] }, { pending: [{ ...want, gpu: true }], keep: [true, true] }], poolTainted: false, poolZoneA: false });
  });

  it('makes a zone eligible for an Honor spread when any of its nodes is tolerated, a tainted one first or not', () => {
    const spreadPod: PodGen = { cpu: 100, gpu: false, app: 'x', spread: 'zone', honorTaints: true, ignoreAffinity: false, anyway: false, anti: 'none', near: false, port: false, tolerates: false, zoneA: false };
    const node = (zone: NodeGen['zone'], tainted: boolean, pods: PodGen[]): NodeGen => ({ cpu: 8, zone, gpu: false, tainted, cordoned: false, inFlight: false, pods });
    // zone-a holds 2 of the spread's pods, zone-x (no pool offers it) none: a new one must go to zone-x's untainted node.
    const w: World = { nodes: [node('zone-a', false, [spreadPod, spreadPod]), node('zone-x', true, []), node('zone-x', false, [])], trials: [{ pending: [spreadPod], keep: [true, true, true] }], poolTainted: false, poolZoneA: true };
    check(w);
    const nodes = w.nodes.map(makeNode);
    const pending = makePod(spreadPod);
    const r = solve({ pods: [pending], nodePools: pools(w), nodeSubset: new NodeBase(nodes).all() });
    assert.equal(placements(r).get(pending.metadata.name ?? ''), 'n2');
  });

  it('counts a term once per owner policy: an Honor spread with other tolerations over the same base', () => {
    const spreadPod = (tolerates: boolean): PodGen => ({ cpu: 100, gpu: false, app: 'x', spread: 'zone', honorTaints: true, ignoreAffinity: false, anyway: false, anti: 'none', near: false, port: false, tolerates, zoneA: false });
    const node = (zone: NodeGen['zone'], tainted: boolean): NodeGen => ({ cpu: 8, zone, gpu: false, tainted, cordoned: false, inFlight: false, pods: [spreadPod(false), spreadPod(false)] });
    const nodes = [node('zone-a', false), node('zone-b', true), node('zone-b', true), node('zone-c', false)];
    const all = nodes.map(() => true);
    check({ nodes, trials: [{ pending: [spreadPod(false)], keep: all }, { pending: [spreadPod(true), spreadPod(true)], keep: all }, { pending: [spreadPod(false)], keep: all }], poolTainted: true, poolZoneA: false });
  });
});
