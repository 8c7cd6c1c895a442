/**
 * Solver: NodePool limits, weights, minValues and maxInstanceTypes.
 * Instance types are small hand-made ones (round numbers, one price per type) so each test can
 * predict the exact choice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { SolverInput, SolverNodePool } from './types.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { NodePool } from '../apis/v1/types.js';
import { kwokCatalog } from '../cloudprovider/catalog/index.js';
import { daemonSet, instanceType, nodePool, pod } from '../test/builders.js';

const SMALL = instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 });
const MEDIUM = instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 });
const LARGE = instanceType('large', { cpu: '8', memory: '16Gi', price: 0.4 });
const SIZES = [LARGE, SMALL, MEDIUM]; // deliberately not in price order

function pool(np: NodePool = nodePool(), types: readonly InstanceType[] = SIZES, usage?: Record<string, number>): SolverNodePool {
  return { nodePool: np, instanceTypes: types, usage };
}

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

function optionNames(input: SolverInput): string[] {
  return only(solve(input).newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name);
}

describe('solve: NodePool limits', () => {
  it('stops opening claims when the cpu limit would be exceeded, and says so', () => {
    const np = nodePool({ limits: { cpu: '8' } });
    const pods = [1, 2, 3, 4].map((i) => pod({ name: `p${i}`, cpu: '3' }));
    const r = solve({ pods, nodePools: [pool(np)] });
    const launched = r.newNodeClaims.reduce((s, c) => s + (c.instanceTypeOptions[0]!.instanceType.capacity.cpu ?? 0), 0);
    assert.ok(launched <= 8000, `claims launch ${launched}m cpu over an 8 cpu limit`);
    assert.ok(r.newNodeClaims.length >= 1);
    assert.ok(r.unschedulable.length >= 1);
    for (const u of r.unschedulable) assert.match(u.reason, /limit/);
    assert.equal(r.newNodeClaims.reduce((s, c) => s + c.pods.length, 0) + r.unschedulable.length, 4);
  });

  it('counts the usage already provisioned against the limit', () => {
    const np = nodePool({ limits: { cpu: '8' } });
    // 6 cpu in use: only the 2-cpu type still fits under the limit.
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(np, SIZES, { cpu: 6000 })] });
    assert.deepEqual(only(r.newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name), ['small']);
    const r2 = solve({ pods: [pod({ cpu: '3' })], nodePools: [pool(np, SIZES, { cpu: 6000 })] });
    assert.equal(r2.newNodeClaims.length, 0);
    // Only the 2-cpu type is left under the limit: the reason says so one way or the other.
    assert.match(only(r2.unschedulable).reason, /limit|largest allowed has 2\b/);
  });

  it('honours a nodes limit', () => {
    const np = nodePool({ limits: { nodes: '2' } });
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'solo' } } }] } };
    const pods = [1, 2, 3].map((i) => pod({ name: `s${i}`, cpu: '100m', labels: { app: 'solo' }, affinity: anti }));
    const r = solve({ pods, nodePools: [pool(np)] });
    assert.equal(r.newNodeClaims.length, 2);
    assert.match(only(r.unschedulable).reason, /node limit/);
    const r2 = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(np, SIZES, { nodes: 2 })] });
    assert.equal(r2.newNodeClaims.length, 0);
    assert.match(only(r2.unschedulable).reason, /node limit/);
  });

  // Pods without inter-pod constraints take the cost-packing path by default; first fit otherwise.
  for (const optimizeCost of [false, true]) {
    const mode = optimizeCost ? 'cost packing' : 'first fit';
    const todo = (_why: string): { todo?: string } => ({});

    it(`never opens more claims than a nodes limit allows, for plain pods (${mode})`, todo(
      'bug: Placer.#packGroup (solver.ts) checks only openClaims + 1 against remainingNodes but then opens one claim per bin, and finalizeClaims checks resource limits only, so 3 plain 6-cpu pods under limits {nodes: 1} get 3 claims',
    ), () => {
      const np = nodePool({ limits: { nodes: '1' } });
      const r = solve({ pods: [1, 2, 3].map((i) => pod({ name: `q${i}`, cpu: '6' })), nodePools: [pool(np)], options: { optimizeCost } });
      assert.equal(r.newNodeClaims.length, 1);
      assert.equal(r.unschedulable.length, 2);
      for (const u of r.unschedulable) assert.match(u.reason, /node limit/);
    });

    it(`sends plain pods a limited pool cannot take to the next pool (${mode})`, todo(
      'bug: Placer.#packGroup (solver.ts) packs the whole group into bins of the first pool whose types are within its limits before any bin counts against them; finalizeClaims then drops the bins over the limit and reports their pods unschedulable ("would exceed its limits") instead of trying the next pool',
    ), () => {
      const limited = nodePool({ name: 'limited', weight: 50, limits: { cpu: '4' } });
      const spare = nodePool({ name: 'spare', weight: 10 });
      const r = solve({ pods: [1, 2, 3, 4].map((i) => pod({ name: `p${i}`, cpu: '3' })), nodePools: [pool(limited), pool(spare)], options: { optimizeCost } });
      assert.equal(r.unschedulable.length, 0, JSON.stringify(r.unschedulable.map((u) => u.reason)));
      const limitedCpu = r.newNodeClaims.filter((c) => c.nodePool === 'limited').reduce((s, c) => s + (c.instanceTypeOptions[0]!.instanceType.capacity.cpu ?? 0), 0);
      assert.ok(limitedCpu <= 4000 && limitedCpu > 0, `limited pool launches ${limitedCpu}m cpu`);
    });
  }

  it('falls through to the next pool when the first has reached its limit', () => {
    const full = nodePool({ name: 'full', weight: 50, limits: { cpu: '0' } });
    const spare = nodePool({ name: 'spare', weight: 10 });
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(full), pool(spare)] });
    assert.equal(only(r.newNodeClaims).nodePool, 'spare');
  });
});

describe('solve: weights', () => {
  it('uses the highest-weight pool that can take the pod, whatever the input order', () => {
    const low = nodePool({ name: 'low', weight: 10 });
    const high = nodePool({ name: 'high', weight: 60 });
    for (const pools of [[pool(low), pool(high)], [pool(high), pool(low)]]) {
      assert.equal(only(solve({ pods: [pod({ cpu: '1' })], nodePools: pools }).newNodeClaims).nodePool, 'high');
    }
  });

  // 7.5 + 1 cpu do not share the 8-cpu type, so little cannot join big's claim; heavy takes only small.
  const heavy = nodePool({ name: 'heavy', weight: 90, requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small'] }] });
  const light = nodePool({ name: 'light', weight: 1 });
  const skipInput = (optimizeCost?: boolean): SolverInput => ({
    pods: [pod({ name: 'big', cpu: '7500m' }), pod({ name: 'little', cpu: '1' })],
    nodePools: [pool(light), pool(heavy)],
    options: optimizeCost === undefined ? undefined : { optimizeCost },
  });
  const poolOf = (input: SolverInput): Map<string | undefined, string> =>
    new Map(solve(input).newNodeClaims.flatMap((c) => c.pods.map((p) => [p.metadata.name, c.nodePool] as const)));

  it('skips a heavier pool the pod cannot use, and still uses it for the pods it can take (first fit)', () => {
    const byPod = poolOf(skipInput(false));
    assert.equal(byPod.get('big'), 'light');
    assert.equal(byPod.get('little'), 'heavy');
  });

  it('skips a heavier pool the pod cannot use, and still uses it for the pods it can take (cost packing)', {}, () => {
    const byPod = poolOf(skipInput());
    assert.equal(byPod.get('big'), 'light');
    assert.equal(byPod.get('little'), 'heavy');
  });

  it('breaks equal weights by name', () => {
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(nodePool({ name: 'zeta' })), pool(nodePool({ name: 'alpha' }))] });
    assert.equal(only(r.newNodeClaims).nodePool, 'alpha');
  });
});

describe('solve: minValues and maxInstanceTypes', () => {
  const minTypes = (n: number): NodePool => nodePool({ requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: n }] });

  it('keeps at least minValues distinct instance types on a claim', () => {
    const names = optionNames({ pods: [pod({ cpu: '1' })], nodePools: [pool(minTypes(2))], options: { maxInstanceTypes: 1 } });
    assert.ok(new Set(names).size >= 2, `options ${names.join(',')}`);
    assert.equal(names[0], 'small');
  });

  it('will not narrow a claim below minValues: the pod that would do so gets a reason', () => {
    const r = solve({ pods: [pod({ cpu: '6' })], nodePools: [pool(minTypes(2))] });
    assert.equal(r.newNodeClaims.length, 0);
    assert.match(only(r.unschedulable).reason, /minValues/);
    // Two types are big enough for 3 cpu: minValues 2 holds.
    assert.deepEqual(optionNames({ pods: [pod({ cpu: '3' })], nodePools: [pool(minTypes(2))] }), ['medium', 'large']);
  });

  it('keeps only the cheapest maxInstanceTypes options, in price order', () => {
    const types = kwokCatalog({ cpus: [1, 2, 4, 8, 16], zones: ['zone-a'] });
    const claim = only(solve({ pods: [pod({ cpu: '1500m' })], nodePools: [pool(nodePool(), types)], options: { maxInstanceTypes: 3 } }).newNodeClaims);
    assert.equal(claim.instanceTypeOptions.length, 3);
    const all = only(solve({ pods: [pod({ cpu: '1500m' })], nodePools: [pool(nodePool(), types)] }).newNodeClaims).instanceTypeOptions;
    assert.ok(all.length > 3);
    assert.deepEqual(claim.instanceTypeOptions.map((o) => o.price), all.slice(0, 3).map((o) => o.price));
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.price <= all[i]!.price, 'options are cheapest first');
  });
});

describe('solve: a NodePool object solved again', () => {
  // What a pool's compilation derives from the NodePool object is kept per object: solving one
  // object under other usage, daemonsets, catalogues and resource layouts must give what a fresh
  // copy of it gives.
  const limited = nodePool({ name: 'limited', limits: { cpu: '10', nodes: '3' }, labels: { team: 'a' } });
  const broken = nodePool({ name: 'broken', limits: { cpu: 'lots' } });
  const badReqs = nodePool({ name: 'bad', requirements: [{ key: 'x', operator: 'In', values: [] }] });
  const daemons = [[], [daemonSet({ name: 'agent', cpu: '500m' })], [daemonSet({ name: 'big', cpu: '1', memory: '1Gi' })], [daemonSet({ name: 'huge', cpu: '3' })]];
  const cases: { usage: Record<string, number> | undefined; ds: number; types: readonly InstanceType[]; gpu: boolean }[] = [
    { usage: undefined, ds: 0, types: SIZES, gpu: false },
    { usage: { cpu: 6000, nodes: 1 }, ds: 1, types: SIZES, gpu: false },
    { usage: { cpu: 2000, memory: 2 ** 30 }, ds: 2, types: [SMALL, LARGE], gpu: true },
    { usage: { cpu: 9000, nodes: 3 }, ds: 1, types: SIZES, gpu: false },
    { usage: undefined, ds: 2, types: [MEDIUM], gpu: true },
    { usage: undefined, ds: 3, types: SIZES, gpu: false },
    { usage: undefined, ds: 0, types: SIZES, gpu: false },
  ];
  const input = (nps: readonly NodePool[], c: (typeof cases)[number]): SolverInput => ({
    pods: [pod({ name: 'a', cpu: '1' }), pod({ name: 'b', cpu: '3', ...(c.gpu ? { requests: { 'example.com/gpu': '1' } } : {}) })],
    nodePools: [pool(nps[0], c.types, c.usage), ...nps.slice(1).map((np) => pool(np))],
    daemonSets: daemons[c.ds],
  });

  it('packs plain pods for a pool as if no other pool had been solved for them before', () => {
    // One catalogue, two pools that allow different zones and taint differently: what one pool
    // answered for a kind of pod must not be taken for the other's.
    const types = kwokCatalog({ cpus: [1, 2, 4, 8], zones: ['zone-a', 'zone-b'] });
    const zoneA = nodePool({ name: 'p', requirements: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] });
    const tainted = nodePool({ name: 'p', taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
    const open = nodePool({ name: 'p' });
    const plan = (np: NodePool, app: string) => {
      const pods = [1, 2, 3].map((i) => pod({ name: `${app}-${i}`, cpu: '1500m', labels: { app } }));
      const r = solve({ pods, nodePools: [pool(np, types)] });
      return { claims: r.newNodeClaims.map((c) => [c.requirements, c.instanceTypeOptions.map((o) => [o.instanceType.name, o.offerings.map((x) => x.zone)])]), unschedulable: r.unschedulable.length };
    };
    for (const np of [open, tainted, zoneA, open, zoneA, tainted]) {
      // 'seen' pods were planned for the other pools first; 'fresh-*' pods never were.
      assert.deepEqual(plan(np, 'seen'), plan(structuredClone(np), `fresh-${np.metadata.name ?? ''}-${Math.random()}`));
    }
  });

  it('gives what fresh copies of it give, case after case', () => {
    const same = [limited, broken, badReqs];
    for (const c of cases) {
      const again = solve(input(same, c));
      const fresh = solve(input(same.map((np) => structuredClone(np)), c));
      assert.deepEqual(again, fresh);
    }
  });
});
