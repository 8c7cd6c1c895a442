/**
 * Solver: resources and daemonset overhead.
 * Instance types are small hand-made ones (round numbers, one price per type) so each test can
 * predict the exact choice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { SolverNodePool } from './types.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { NodePool } from '../apis/v1/types.js';
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
