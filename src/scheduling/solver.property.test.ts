/**
 * Solver properties over random workloads: random requests, optional zone and arch selectors, zone
 * spread, hostname spread, hostname anti-affinity, tolerations against a tainted pool, a daemonset,
 * and existing nodes (tainted, in flight or being disrupted) with pods already bound. Every result
 * must place each pod at most once, respect every constraint of each placed pod, never exceed an
 * allocatable, and never give up on a plain pod that some instance type could hold alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { solve } from './solver.js';
import { podRequests } from './pod-requests.js';
import type { SolverInput, SolverNode, SolverNodePool, SolverResult } from './types.js';
import type { Pod, Taint, Toleration } from '../apis/core.js';
import type { InstanceType } from '../cloudprovider/types.js';
import { addResources, subtractResources, type ResourceList } from '../utils/resources.js';
import { daemonSet, instanceType, nodePool, pod, solverNode } from '../test/builders.js';

const ZONE = 'topology.kubernetes.io/zone';
const ARCH = 'kubernetes.io/arch';
const HOST = 'kubernetes.io/hostname';
const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;
const TAINT: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const TOLERATION: Toleration = { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' };

/** 1–8 cpu, 2 or 4 GiB per cpu, amd64 and arm64, 4 pods per cpu; zone-c lacks the arm types. */
const TYPES: InstanceType[] = [1, 2, 4, 8].flatMap((cpu) => [2, 4].flatMap((ratio) => (['amd64', 'arm64'] as const).map((arch) =>
  instanceType(`t-${cpu}x${ratio}-${arch}`, {
    cpu: String(cpu),
    memory: `${cpu * ratio}Gi`,
    pods: String(cpu * 4),
    overhead: { cpu: '100m', memory: '100Mi' },
    price: Math.round((cpu * 0.04 + cpu * ratio * 0.005) * (arch === 'arm64' ? 0.8 : 1) * 10000) / 10000,
    unavailableZones: arch === 'arm64' ? ['zone-c'] : [],
    labels: { [ARCH]: [arch] },
  }))));

type App = 'free' | 'spread' | 'hspread' | 'anti';

interface PodModel {
  readonly app: App;
  readonly cpuMilli: number;
  readonly memMi: number;
  readonly zone: string | undefined;
  readonly arch: string | undefined;
  readonly tolerates: boolean;
  /** Host port 8080 (only for pods without inter-pod constraints). */
  readonly hostPort: boolean;
}

interface NodeModel {
  readonly zone: string;
  readonly cpu: number;
  readonly tainted: boolean;
  readonly inFlight: boolean;
  readonly unschedulable: boolean;
  readonly bound: readonly number[];
}

interface World {
  readonly pods: readonly PodModel[];
  readonly nodes: readonly NodeModel[];
  readonly taintedPool: boolean;
  readonly daemon: boolean;
  readonly maxSkew: number;
}

const podModel: fc.Arbitrary<PodModel> = fc.record({
  app: fc.constantFrom<App>('free', 'free', 'free', 'spread', 'hspread', 'anti'),
  // Now and then a pod bigger than every type.
  cpuMilli: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => n * 50), weight: 15 }, { arbitrary: fc.constant(12000), weight: 1 }),
  memMi: fc.integer({ min: 1, max: 64 }).map((n) => n * 128),
  zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
  arch: fc.option(fc.constantFrom('amd64', 'arm64'), { nil: undefined }),
  tolerates: fc.boolean(),
  hostPort: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

const nodeModel: fc.Arbitrary<NodeModel> = fc.record({
  zone: fc.constantFrom(...ZONES),
  cpu: fc.integer({ min: 1, max: 4 }),
  tainted: fc.boolean(),
  inFlight: fc.boolean(),
  unschedulable: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  bound: fc.array(fc.integer({ min: 1, max: 4 }).map((n) => n * 100), { maxLength: 2 }),
});

const world: fc.Arbitrary<World> = fc.record({
  pods: fc.array(podModel, { minLength: 1, maxLength: 30, size: 'medium' }),
  nodes: fc.array(nodeModel, { maxLength: 3 }),
  taintedPool: fc.boolean(),
  daemon: fc.boolean(),
  maxSkew: fc.integer({ min: 1, max: 2 }),
});

function buildPod(m: PodModel, i: number, maxSkew: number): Pod {
  const selector = { matchLabels: { app: m.app } };
  const constrained = m.app !== 'free';
  const nodeSelector: Record<string, string> = {};
  // Spread pods carry no node selector (under nodeAffinityPolicy Honor a selector changes which
  // nodes count), so that skew over all three zones is an invariant of the result.
  if (!constrained && m.zone) nodeSelector[ZONE] = m.zone;
  if (m.app !== 'spread' && m.arch) nodeSelector[ARCH] = m.arch;
  return pod({
    name: `p${i}`,
    labels: { app: m.app },
    cpu: `${m.cpuMilli}m`,
    memory: `${m.memMi}Mi`,
    nodeSelector: Object.keys(nodeSelector).length ? nodeSelector : undefined,
    tolerations: m.tolerates ? [TOLERATION] : undefined,
    hostPort: m.hostPort && !constrained ? 8080 : undefined,
    spread: m.app === 'spread' ? [{ topologyKey: ZONE, maxSkew, whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector }]
      : m.app === 'hspread' ? [{ topologyKey: HOST, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector }]
        : undefined,
    affinity: m.app === 'anti' ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: selector }] } } : undefined,
  });
}

function buildInput(w: World): SolverInput {
  const pools: SolverNodePool[] = [{ nodePool: nodePool({ name: 'default', weight: 10 }), instanceTypes: TYPES }];
  if (w.taintedPool) pools.push({ nodePool: nodePool({ name: 'gpu', weight: 50, taints: [TAINT] }), instanceTypes: TYPES });
  const nodes: SolverNode[] = w.nodes.map((n, i) => solverNode(`node-${i}`, {
    zone: n.zone,
    cpu: String(n.cpu),
    taints: n.tainted ? [TAINT] : [],
    inFlight: n.inFlight,
    unschedulable: n.unschedulable,
    bound: n.bound.map((cpu, j) => pod({ name: `bound-${i}-${j}`, cpu: `${cpu}m`, memory: '128Mi', labels: { app: 'other' } })),
  }));
  return {
    pods: w.pods.map((m, i) => buildPod(m, i, w.maxSkew)),
    nodePools: pools,
    nodes,
    daemonSets: w.daemon ? [daemonSet({ name: 'agent', cpu: '200m', memory: '256Mi' })] : [],
  };
}

function fits(requests: ResourceList, allocatable: ResourceList): boolean {
  return Object.entries(requests).every(([k, v]) => v <= (allocatable[k] ?? 0));
}

const allocatableOf = (t: InstanceType): ResourceList => subtractResources(t.capacity, t.overhead);
const sum = (pods: readonly Pod[]): ResourceList => addResources(...pods.map((p) => podRequests(p)));

/** Checks every property of one result; throws an assertion error naming the first broken one. */
function check(w: World, input: SolverInput, r: SolverResult): void {
  const model = new Map(input.pods.map((p, i) => [p.metadata.name!, w.pods[i]!]));
  const seen = new Map<string, number>();
  const note = (p: Pod): void => void seen.set(p.metadata.name!, (seen.get(p.metadata.name!) ?? 0) + 1);
  /** Zone of each placed pod of a topology group, and the node or claim it is on. */
  const zoneOf = new Map<string, string>();
  const hostOf = new Map<string, string>();

  for (const c of r.newNodeClaims) {
    c.pods.forEach(note);
    assert.ok(c.instanceTypeOptions.length > 0, `${c.hostname} has no instance type`);
    assert.equal(c.pricePerHour, c.instanceTypeOptions[0]!.price);
    for (let i = 1; i < c.instanceTypeOptions.length; i++) assert.ok(c.instanceTypeOptions[i - 1]!.price <= c.instanceTypeOptions[i]!.price, 'options cheapest first');
    const tainted = c.nodePool === 'gpu';
    const expected = addResources(sum(c.pods), c.daemonSetOverhead);
    for (const [k, v] of Object.entries(expected)) assert.equal(c.requests[k] ?? 0, v, `${c.hostname} requests.${k}`);
    if (w.daemon && !tainted) assert.equal(c.daemonSetOverhead.cpu, 200, `${c.hostname} daemonset overhead`);
    if (tainted) assert.equal(c.daemonSetOverhead.cpu ?? 0, 0, 'an intolerant daemonset is not reserved on a tainted pool');
    const zones = new Set<string>();
    for (const o of c.instanceTypeOptions) {
      assert.ok(fits(c.requests, allocatableOf(o.instanceType)), `${c.hostname}: requests ${JSON.stringify(c.requests)} exceed ${o.instanceType.name}`);
      assert.ok(o.offerings.length > 0);
      for (const off of o.offerings) {
        assert.ok(off.available, `${o.instanceType.name} in ${off.zone} is unavailable`);
        zones.add(off.zone);
      }
      for (const p of c.pods) {
        const m = model.get(p.metadata.name!)!;
        if (m.arch && m.app !== 'spread') assert.deepEqual(o.instanceType.requirements[ARCH], [m.arch], `${p.metadata.name} wants ${m.arch}`);
      }
    }
    for (const p of c.pods) {
      const m = model.get(p.metadata.name!)!;
      if (tainted) assert.ok(m.tolerates, `${p.metadata.name} does not tolerate the gpu pool`);
      if (m.zone && m.app === 'free') assert.deepEqual([...zones], [m.zone], `${p.metadata.name} wants ${m.zone}`);
      if (m.app === 'spread') {
        assert.equal(zones.size, 1, `${p.metadata.name} spreads over zones but its claim may launch in ${[...zones].join(',')}`);
        zoneOf.set(p.metadata.name!, [...zones][0]!);
      }
      hostOf.set(p.metadata.name!, c.hostname);
    }
  }

  const nodes = new Map((input.nodes ?? []).map((n, i) => [n.name, { n, m: w.nodes[i]! }]));
  for (const e of r.existingNodes) {
    e.pods.forEach(note);
    const { n, m: nm } = nodes.get(e.node)!;
    assert.ok(!nm.unschedulable, `${e.node} is unschedulable but got pods`);
    assert.ok(fits(addResources(sum(n.pods), sum(e.pods)), n.allocatable), `${e.node} over-committed`);
    for (const p of e.pods) {
      const m = model.get(p.metadata.name!)!;
      if (nm.tainted) assert.ok(m.tolerates, `${p.metadata.name} on tainted ${e.node}`);
      if (m.zone && m.app === 'free') assert.equal(nm.zone, m.zone);
      if (m.app !== 'spread') assert.equal(m.arch, undefined, `${p.metadata.name} wants arch ${m.arch ?? ''}; ${e.node} has no arch label`);
      if (m.app === 'spread') zoneOf.set(p.metadata.name!, nm.zone);
      hostOf.set(p.metadata.name!, e.node);
    }
  }

  for (const u of r.unschedulable) {
    note(u.pod);
    assert.ok(u.reason.length > 0);
    const m = model.get(u.pod.metadata.name!)!;
    if (m.app !== 'free') continue;
    // A plain pod is unschedulable only when no pool has a type that holds it alone.
    const req = podRequests(u.pod);
    for (const p of input.nodePools) {
      const tainted = (p.nodePool.spec.template.spec.taints ?? []).length > 0;
      if (tainted && !m.tolerates) continue;
      const need = w.daemon && !tainted ? addResources(req, { cpu: 200, memory: 256 * 2 ** 20, pods: 1 }) : req;
      const fitting = p.instanceTypes.find((t) => fits(need, allocatableOf(t))
        && (!m.arch || t.requirements[ARCH]?.includes(m.arch))
        && t.offerings.some((o) => o.available && (!m.zone || o.zone === m.zone)));
      assert.equal(fitting, undefined, `${u.pod.metadata.name} reported unschedulable (${u.reason}) but ${fitting?.name} in ${p.nodePool.metadata.name} holds it`);
    }
  }

  for (const p of input.pods) assert.equal(seen.get(p.metadata.name!), 1, `${p.metadata.name} appears ${seen.get(p.metadata.name!) ?? 0} times`);
  assert.equal(seen.size, input.pods.length, 'a pod that was not in the input appears in the result');

  // Zone spread: every pod the selector matches carries the constraint, none was there before.
  const counts = new Map<string, number>(ZONES.map((z) => [z, 0]));
  for (const z of zoneOf.values()) counts.set(z, counts.get(z)! + 1);
  const values = [...counts.values()];
  assert.ok(Math.max(...values) - Math.min(...values) <= w.maxSkew, `zone skew ${JSON.stringify([...counts])} exceeds ${w.maxSkew}`);

  // Hostname spread with maxSkew 1 (new nodes are empty domains), hostname anti-affinity and a
  // host port: one per node.
  const groups: [string, (m: PodModel) => boolean][] = [
    ['hspread', (m) => m.app === 'hspread'],
    ['anti', (m) => m.app === 'anti'],
    ['host port 8080', (m) => m.app === 'free' && m.hostPort],
  ];
  for (const [what, member] of groups) {
    const hosts = [...hostOf].filter(([name]) => member(model.get(name)!)).map(([, h]) => h);
    assert.equal(new Set(hosts).size, hosts.length, `two ${what} pods share a node: ${hosts.join(',')}`);
  }
}

/** What a user sees, for comparing two runs. */
function project(r: SolverResult): unknown {
  return {
    claims: r.newNodeClaims.map((c) => [c.hostname, c.nodePool, c.requirements, c.instanceTypeOptions.map((o) => [o.instanceType.name, o.price, o.offerings]), c.pods.map((p) => p.metadata.name), c.requests]),
    existing: r.existingNodes.map((e) => [e.node, e.pods.map((p) => p.metadata.name)]),
    unschedulable: r.unschedulable.map((u) => [u.pod.metadata.name, u.reason]),
    total: r.totalPricePerHour,
  };
}

describe('solve: properties over random workloads', () => {
  it('places every pod at most once and only where all its constraints and resources hold', () => {
    fc.assert(fc.property(world, (w) => {
      const input = buildInput(w);
      check(w, input, solve(input));
    }), { numRuns: 200 });
  });

  it('holds with first-fit placement too (optimizeCost off)', () => {
    fc.assert(fc.property(world, (w) => {
      const input = { ...buildInput(w), options: { optimizeCost: false } };
      check(w, input, solve(input));
    }), { numRuns: 100 });
  });

  it('has a checker that rejects broken results (so the properties above can fail)', () => {
    const free: PodModel = { app: 'free', cpuMilli: 500, memMi: 256, zone: undefined, arch: undefined, tolerates: false, hostPort: false };
    const w: World = { pods: [{ ...free, app: 'anti' }, { ...free, app: 'anti' }, { ...free, zone: 'zone-b' }], nodes: [], taintedPool: true, daemon: false, maxSkew: 1 };
    const input = buildInput(w);
    const good = solve(input);
    check(w, input, good);
    const [a, b] = good.newNodeClaims.filter((c) => c.pods.some((p) => p.metadata.labels?.app === 'anti'));
    assert.ok(a && b);
    const merged = { ...a, pods: [...a.pods, ...b.pods], requests: addResources(a.requests, sum(b.pods)) };
    const broken: SolverResult[] = [
      { ...good, newNodeClaims: [merged, ...good.newNodeClaims.filter((c) => c !== a && c !== b)] },
      { ...good, unschedulable: [...good.unschedulable, { pod: input.pods[2]!, reason: 'duplicate' }] },
      { ...good, newNodeClaims: good.newNodeClaims.slice(1) },
      { ...good, newNodeClaims: good.newNodeClaims.map((c) => ({ ...c, nodePool: 'gpu' })) },
      { ...good, newNodeClaims: good.newNodeClaims.map((c) => ({ ...c, requests: { ...c.requests, cpu: 64000 } })) },
      { ...good, unschedulable: [{ pod: input.pods[2]!, reason: 'gave up' }], newNodeClaims: good.newNodeClaims.filter((c) => !c.pods.includes(input.pods[2]!)) },
    ];
    for (const [i, r] of broken.entries()) assert.throws(() => check(w, input, r), assert.AssertionError, `broken result ${i} passed the checker`);
  });

  it('gives the same output for the same input', () => {
    fc.assert(fc.property(world, (w) => {
      assert.deepEqual(project(solve(buildInput(w))), project(solve(buildInput(w))));
    }), { numRuns: 60 });
  });
});
