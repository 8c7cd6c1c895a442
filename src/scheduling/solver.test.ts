/**
 * Solver: resources, daemonset overhead, NodePool limits, weights, minValues and maxInstanceTypes.
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
import { claimValues, daemonSet, instanceType, nodePool, placements, pod } from '../test/builders.js';

const GiB = 2 ** 30;
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

describe('solve: resources', () => {
  it('launches the cheapest type that fits and lists the fitting types cheapest first', () => {
    const r = solve({ pods: [pod({ cpu: '3', memory: '1Gi' })], nodePools: [pool()] });
    const claim = only(r.newNodeClaims);
    assert.deepEqual(claim.instanceTypeOptions.map((o) => o.instanceType.name), ['medium', 'large']);
    assert.equal(claim.pricePerHour, 0.2);
    assert.equal(r.totalPricePerHour, 0.2);
    assert.deepEqual(claimValues(claim, 'node.kubernetes.io/instance-type'), ['large', 'medium']);
    assert.equal(r.unschedulable.length, 0);
  });

  it('packs pods that fit together onto one claim and sums their requests', () => {
    const r = solve({ pods: [pod({ cpu: '1', memory: '1Gi' }), pod({ cpu: '500m', memory: '512Mi' })], nodePools: [pool()] });
    const claim = only(r.newNodeClaims);
    assert.equal(claim.pods.length, 2);
    assert.equal(claim.requests.cpu, 1500);
    assert.equal(claim.requests.memory, 1.5 * GiB);
    assert.equal(claim.requests.pods, 2);
    assert.equal(claim.instanceTypeOptions[0]!.instanceType.name, 'small');
  });

  it('counts memory as well as cpu when choosing the type', () => {
    const r = solve({ pods: [pod({ cpu: '100m', memory: '10Gi' })], nodePools: [pool()] });
    assert.deepEqual(only(r.newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name), ['large']);
  });

  it('treats pods as a resource: a type with room for two pods gets at most two', () => {
    const tiny = instanceType('tiny', { cpu: '8', memory: '16Gi', pods: '2', price: 0.1 });
    const pods = [1, 2, 3, 4, 5].map((i) => pod({ name: `p${i}`, cpu: '100m' }));
    const r = solve({ pods, nodePools: [pool(nodePool(), [tiny])] });
    assert.equal(r.unschedulable.length, 0);
    assert.equal(r.newNodeClaims.length, 3);
    for (const c of r.newNodeClaims) assert.ok(c.pods.length <= 2, `${c.hostname} has ${c.pods.length} pods`);
  });

  it('subtracts the instance type overhead: allocatable, not capacity, must hold the requests', () => {
    const reserved = instanceType('reserved', { cpu: '4', memory: '8Gi', overhead: { cpu: '1' }, price: 0.1 });
    const roomy = instanceType('roomy', { cpu: '8', memory: '16Gi', price: 0.3 });
    const r = solve({ pods: [pod({ cpu: '3500m' })], nodePools: [pool(nodePool(), [reserved, roomy])] });
    assert.deepEqual(only(r.newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name), ['roomy']);
  });

  it('reports a pod too big for every type, naming the resource and the largest allowed amount', () => {
    const r = solve({ pods: [pod({ name: 'huge', cpu: '96', memory: '1Gi' }), pod({ name: 'ok', cpu: '1' })], nodePools: [pool()] });
    const u = only(r.unschedulable);
    assert.equal(u.pod.metadata.name, 'huge');
    assert.match(u.reason, /96 cpu/);
    assert.match(u.reason, /largest allowed has 8\b/);
    assert.match(u.reason, /nodepool default/);
    assert.doesNotMatch(u.reason, /memory/);
    assert.equal(placements(r).get('ok'), r.newNodeClaims[0]!.hostname);
  });

  it('names memory when memory is what does not fit', () => {
    const r = solve({ pods: [pod({ cpu: '1', memory: '64Gi' })], nodePools: [pool()] });
    const u = only(r.unschedulable);
    assert.match(u.reason, /memory/);
    assert.match(u.reason, /16Gi/);
    assert.doesNotMatch(u.reason, /cpu/);
  });

  it('names an extended resource no type offers', () => {
    const r = solve({ pods: [pod({ requests: { 'nvidia.com/gpu': '1' } })], nodePools: [pool()] });
    assert.match(only(r.unschedulable).reason, /nvidia\.com\/gpu/);
    const gpu = instanceType('gpu', { cpu: '8', memory: '32Gi', capacity: { 'nvidia.com/gpu': '4' }, price: 3 });
    const r2 = solve({ pods: [pod({ requests: { 'nvidia.com/gpu': '1' } })], nodePools: [pool(nodePool(), [...SIZES, gpu])] });
    assert.deepEqual(only(r2.newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name), ['gpu']);
  });

  it('prefers the cheaper capacity type and zone among the offerings of the chosen type', () => {
    const t = instanceType('spotty', { cpu: '4', memory: '8Gi', price: 0.2, spotPrice: 0.07 });
    const claim = only(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(nodePool(), [t])] }).newNodeClaims);
    const opt = only(claim.instanceTypeOptions);
    assert.equal(opt.price, 0.07);
    assert.equal(opt.offerings[0]!.capacityType, 'spot');
    for (let i = 1; i < opt.offerings.length; i++) assert.ok(opt.offerings[i - 1]!.price <= opt.offerings[i]!.price);
    assert.equal(claim.pricePerHour, 0.07);
  });

  it('leaves out offerings that are unavailable, and types with none', () => {
    const gone = instanceType('gone', { cpu: '4', memory: '8Gi', price: 0.01, unavailableZones: ['zone-a', 'zone-b', 'zone-c'] });
    const partial = instanceType('partial', { cpu: '4', memory: '8Gi', price: 0.2, unavailableZones: ['zone-a'] });
    const claim = only(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(nodePool(), [gone, partial])] }).newNodeClaims);
    const opt = only(claim.instanceTypeOptions);
    assert.equal(opt.instanceType.name, 'partial');
    assert.deepEqual(opt.offerings.map((o) => o.zone).sort(), ['zone-b', 'zone-c']);
  });
});

describe('solve: daemonset overhead on new nodes', () => {
  it('reserves the requests of daemonsets that would run there, choosing a bigger type if needed', () => {
    const ds = daemonSet({ cpu: '1', memory: '1Gi' });
    const r = solve({ pods: [pod({ cpu: '3500m' })], nodePools: [pool()], daemonSets: [ds] });
    const claim = only(r.newNodeClaims);
    assert.equal(claim.instanceTypeOptions[0]!.instanceType.name, 'large');
    assert.equal(claim.daemonSetOverhead.cpu, 1000);
    assert.equal(claim.daemonSetOverhead.pods, 1);
    assert.equal(claim.requests.cpu, 4500);
    assert.equal(claim.requests.pods, 2);
    // Without the daemonset the same pod fits the medium type.
    assert.equal(only(solve({ pods: [pod({ cpu: '3500m' })], nodePools: [pool()] }).newNodeClaims).instanceTypeOptions[0]!.instanceType.name, 'medium');
  });

  it('ignores daemonsets that do not tolerate the pool taints, and counts those that do', () => {
    const np = nodePool({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const toleration = [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }];
    const intolerant = daemonSet({ cpu: '1' });
    const tolerant = daemonSet({ cpu: '250m', tolerations: toleration });
    const claim = only(solve({ pods: [pod({ cpu: '1', tolerations: toleration })], nodePools: [pool(np)], daemonSets: [intolerant, tolerant] }).newNodeClaims);
    assert.equal(claim.daemonSetOverhead.cpu, 250);
    assert.equal(claim.daemonSetOverhead.pods, 1);
  });

  it('ignores daemonsets whose node selector or required affinity the pool cannot meet', () => {
    // Karpenter checks daemonsets against the pool's requirements (not each type's), so the pool states its arch.
    const np = nodePool({ labels: { team: 'a' }, requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] });
    const selectsB = daemonSet({ cpu: '1', nodeSelector: { team: 'b' } });
    const selectsA = daemonSet({ cpu: '300m', nodeSelector: { team: 'a' } });
    const arm = daemonSet({ cpu: '2', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }] } } } });
    const claim = only(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(np)], daemonSets: [selectsB, selectsA, arm] }).newNodeClaims);
    assert.equal(claim.daemonSetOverhead.cpu, 300);
  });

  it('counts a daemonset whose affinity the pool leaves open (as Karpenter does, conservatively)', () => {
    const arm = daemonSet({ cpu: '2', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }] } } } });
    const claim = only(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool()], daemonSets: [arm] }).newNodeClaims);
    assert.equal(claim.daemonSetOverhead.cpu, 2000);
  });

  it('explains a pod that fits alone but not beside the daemonsets', () => {
    const r = solve({ pods: [pod({ cpu: '7500m' })], nodePools: [pool()], daemonSets: [daemonSet({ cpu: '1' })] });
    const u = only(r.unschedulable);
    assert.match(u.reason, /cpu/);
    assert.match(u.reason, /daemonset/);
  });
});

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
    const todo = (why: string): { todo?: string } => (optimizeCost ? { todo: why } : {});

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

  it('skips a heavier pool the pod cannot use, and still uses it for the pods it can take (cost packing)', {
    todo: 'bug: with optimizeCost (the default) #packGroup puts the whole group of same-constraint pods on the first pool that takes the largest pod, so little lands on the weight-1 pool although the weight-90 pool takes it',
  }, () => {
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
