/**
 * Solver: node selection constraints a pod carries on its own: nodeSelector, required and
 * preferred node affinity, deprecated label keys, taints and tolerations, volume topology and host
 * ports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { PlannedNodeClaim, SolverInput, SolverNodePool, SolverResult } from './types.js';
import type { NodeSelectorTerm, Pod, Taint, Toleration } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import type { InstanceType } from '../cloudprovider/types.js';
import {
  claimValues, instanceType, nodePool, persistentVolume, persistentVolumeClaim, placements, pod, solverNode,
  storageClass, type PodOptions,
} from '../test/builders.js';

const ZONE = 'topology.kubernetes.io/zone';
const TYPES = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 }),
  instanceType('arm', { cpu: '4', memory: '8Gi', price: 0.15, labels: { 'kubernetes.io/arch': ['arm64'] } }),
];

function pool(np: NodePool = nodePool(), types: readonly InstanceType[] = TYPES): SolverNodePool {
  return { nodePool: np, instanceTypes: types };
}

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

/** The zones a claim may launch in: its requirement, checked against every option's offerings. */
function zonesOf(claim: PlannedNodeClaim): string[] {
  const zones = new Set<string>();
  for (const o of claim.instanceTypeOptions) for (const off of o.offerings) zones.add(off.zone);
  const req = claimValues(claim, ZONE);
  if (req) for (const z of zones) assert.ok(req.includes(z), `offering in ${z} outside the claim's zones ${req.join(',')}`);
  return [...zones].sort();
}

function claimFor(r: SolverResult, name: string): PlannedNodeClaim {
  const c = r.newNodeClaims.find((x) => x.pods.some((p) => p.metadata.name === name));
  assert.ok(c, `${name} is on no new claim: ${JSON.stringify(r.unschedulable.map((u) => u.reason))}`);
  return c;
}

function solveOne(o: PodOptions, extra: Partial<SolverInput> = {}): SolverResult {
  return solve({ pods: [pod({ name: 'p', cpu: '1', ...o })], nodePools: [pool()], ...extra });
}

const required = (...terms: NodeSelectorTerm[]): PodOptions['affinity'] => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
const preferred = (weight: number, term: NodeSelectorTerm): NonNullable<NonNullable<PodOptions['affinity']>['nodeAffinity']>['preferredDuringSchedulingIgnoredDuringExecution'] => [{ weight, preference: term }];
const zoneIn = (...zones: string[]): NodeSelectorTerm => ({ matchExpressions: [{ key: ZONE, operator: 'In', values: zones }] });

describe('solve: nodeSelector', () => {
  it('pins the claim to the selected zone, in its requirements and its offerings', () => {
    const claim = only(solveOne({ nodeSelector: { [ZONE]: 'zone-b' } }).newNodeClaims);
    assert.deepEqual(claimValues(claim, ZONE), ['zone-b']);
    assert.deepEqual(zonesOf(claim), ['zone-b']);
  });

  it('selects an instance type label', () => {
    const claim = only(solveOne({ nodeSelector: { 'kubernetes.io/arch': 'arm64' } }).newNodeClaims);
    assert.deepEqual(claim.instanceTypeOptions.map((o) => o.instanceType.name), ['arm']);
  });

  it('matches a label of the pool template, and rejects one nobody offers', () => {
    const labelled = pool(nodePool({ labels: { team: 'red' } }));
    const ok = solve({ pods: [pod({ cpu: '1', nodeSelector: { team: 'red' } })], nodePools: [labelled] });
    assert.equal(only(ok.newNodeClaims).nodePool, 'default');
    const bad = solve({ pods: [pod({ cpu: '1', nodeSelector: { team: 'blue' } })], nodePools: [labelled] });
    assert.equal(bad.newNodeClaims.length, 0);
    assert.match(only(bad.unschedulable).reason, /team/);
  });

  it('reports a zone that no offering has', () => {
    const r = solveOne({ nodeSelector: { [ZONE]: 'zone-q' } });
    assert.equal(r.newNodeClaims.length, 0);
    assert.match(only(r.unschedulable).reason, /zone/);
  });

  it('does not mix pods with conflicting selectors on one claim', () => {
    const r = solve({ pods: [pod({ name: 'a', cpu: '100m', nodeSelector: { [ZONE]: 'zone-a' } }), pod({ name: 'b', cpu: '100m', nodeSelector: { [ZONE]: 'zone-b' } })], nodePools: [pool()] });
    assert.equal(r.newNodeClaims.length, 2);
    assert.deepEqual(zonesOf(claimFor(r, 'a')), ['zone-a']);
    assert.deepEqual(zonesOf(claimFor(r, 'b')), ['zone-b']);
  });

  it('normalises the deprecated beta zone and arch keys', () => {
    const claim = only(solveOne({ nodeSelector: { 'failure-domain.beta.kubernetes.io/zone': 'zone-c', 'beta.kubernetes.io/arch': 'arm64' } }).newNodeClaims);
    assert.deepEqual(zonesOf(claim), ['zone-c']);
    assert.deepEqual(claim.instanceTypeOptions.map((o) => o.instanceType.name), ['arm']);
  });
});

describe('solve: node affinity', () => {
  it('uses the second OR term when the first cannot be met', () => {
    const claim = only(solveOne({ affinity: required(zoneIn('zone-nowhere'), zoneIn('zone-c')) }).newNodeClaims);
    assert.deepEqual(zonesOf(claim), ['zone-c']);
  });

  it('uses the first OR term when it can be met', () => {
    const claim = only(solveOne({ affinity: required(zoneIn('zone-a'), zoneIn('zone-c')) }).newNodeClaims);
    assert.deepEqual(zonesOf(claim), ['zone-a']);
  });

  it('reports a pod whose every term is unsatisfiable', () => {
    const r = solveOne({ affinity: required(zoneIn('zone-x'), { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['s390x'] }] }) });
    assert.equal(r.newNodeClaims.length, 0);
    assert.equal(r.unschedulable.length, 1);
  });

  it('honours NotIn, Exists and DoesNotExist', () => {
    const notIn = only(solveOne({ affinity: required({ matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['zone-a', 'zone-b'] }] }) }).newNodeClaims);
    assert.deepEqual(zonesOf(notIn), ['zone-c']);
    const noArm = only(solveOne({ cpu: '3', affinity: required({ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'NotIn', values: ['arm64'] }] }) }).newNodeClaims);
    assert.deepEqual(noArm.instanceTypeOptions.map((o) => o.instanceType.name), ['medium']);
    const missing = solveOne({ affinity: required({ matchExpressions: [{ key: 'example.com/accelerator', operator: 'Exists' }] }) });
    assert.equal(missing.newNodeClaims.length, 0);
    const absent = solveOne({ affinity: required({ matchExpressions: [{ key: 'example.com/accelerator', operator: 'DoesNotExist' }] }) });
    assert.equal(absent.newNodeClaims.length, 1);
  });

  it('honours a preferred term when it can be met', () => {
    const claim = only(solveOne({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(10, zoneIn('zone-b')) } } }).newNodeClaims);
    assert.deepEqual(zonesOf(claim), ['zone-b']);
  });

  it('tries the heaviest preferred term first', () => {
    const prefs = [...preferred(1, zoneIn('zone-a'))!, ...preferred(90, zoneIn('zone-c'))!];
    const claim = only(solveOne({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: prefs } } }).newNodeClaims);
    assert.deepEqual(zonesOf(claim), ['zone-c']);
  });

  it('relaxes a preferred term that cannot be met', () => {
    const r = solveOne({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(50, zoneIn('zone-nowhere')) } } });
    assert.equal(r.unschedulable.length, 0);
    assert.equal(zonesOf(only(r.newNodeClaims)).length, 3);
  });

  it('keeps the required terms while relaxing the preferred ones', () => {
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zoneIn('zone-a', 'zone-b')] },
      preferredDuringSchedulingIgnoredDuringExecution: preferred(50, zoneIn('zone-c')),
    };
    const r = solveOne({ affinity: { nodeAffinity } });
    assert.deepEqual(zonesOf(only(r.newNodeClaims)), ['zone-a', 'zone-b']);
  });

  it('compiles a pod once across solves, keeping neither one solve\'s preference option nor its relaxation for the next', () => {
    const p = pod({ name: 'p', cpu: '1', affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(10, zoneIn('zone-b')) } } });
    const nodes = [solverNode('n1', { zone: 'zone-a' })];
    const run = (nodePools: SolverNodePool[], ignorePreferences: boolean): SolverResult => solve({ pods: [p], nodePools, nodes, options: { ignorePreferences } });
    assert.deepEqual(zonesOf(claimFor(run([pool()], false), 'p')), ['zone-b']);
    assert.equal(placements(run([pool()], true)).get('p'), 'n1');
    // No pool: the preference is relaxed and the pod takes n1; with the pool back it is preferred again.
    assert.equal(placements(run([], false)).get('p'), 'n1');
    assert.deepEqual(zonesOf(claimFor(run([pool()], false), 'p')), ['zone-b']);
  });

  it('normalises deprecated keys in affinity terms', () => {
    const term = { matchExpressions: [{ key: 'failure-domain.beta.kubernetes.io/zone', operator: 'In', values: ['zone-b'] }] };
    assert.deepEqual(zonesOf(only(solveOne({ affinity: required(term) }).newNodeClaims)), ['zone-b']);
  });
});

describe('solve: taints and tolerations', () => {
  const noSchedule: Taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  const tolerateDb: Toleration[] = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];

  it('keeps pods that do not tolerate a NoSchedule taint off the pool, naming the taint', () => {
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(nodePool({ taints: [noSchedule] }))] });
    assert.equal(r.newNodeClaims.length, 0);
    assert.match(only(r.unschedulable).reason, /dedicated/);
  });

  it('admits pods that tolerate it, by value or with Exists', () => {
    for (const tolerations of [tolerateDb, [{ key: 'dedicated', operator: 'Exists' }], [{ operator: 'Exists' }]]) {
      const r = solve({ pods: [pod({ cpu: '1', tolerations })], nodePools: [pool(nodePool({ taints: [noSchedule] }))] });
      assert.equal(r.newNodeClaims.length, 1, JSON.stringify(tolerations));
    }
    const wrongValue = solve({ pods: [pod({ cpu: '1', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web' }] })], nodePools: [pool(nodePool({ taints: [noSchedule] }))] });
    assert.equal(wrongValue.newNodeClaims.length, 0);
  });

  it('sends intolerant pods to an untainted pool even when the tainted one weighs more', () => {
    const tainted = nodePool({ name: 'tainted', weight: 90, taints: [noSchedule] });
    const plain = nodePool({ name: 'plain', weight: 1 });
    const r = solve({ pods: [pod({ name: 'db', cpu: '1', tolerations: tolerateDb }), pod({ name: 'web', cpu: '1' })], nodePools: [pool(plain), pool(tainted)] });
    assert.equal(claimFor(r, 'db').nodePool, 'tainted');
    assert.equal(claimFor(r, 'web').nodePool, 'plain');
  });

  it('ignores startup taints', () => {
    const np = nodePool({ startupTaints: [{ key: 'node.cilium.io/agent-not-ready', effect: 'NoSchedule' }] });
    assert.equal(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(np)] }).newNodeClaims.length, 1);
  });

  it('tolerates PreferNoSchedule only as the last relaxation', () => {
    const soft = nodePool({ name: 'soft', weight: 90, taints: [{ key: 'spot-only', effect: 'PreferNoSchedule' }] });
    const plain = nodePool({ name: 'plain', weight: 1 });
    const both = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(soft), pool(plain)] });
    assert.equal(only(both.newNodeClaims).nodePool, 'plain');
    const onlySoft = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool(soft)] });
    assert.equal(only(onlySoft.newNodeClaims).nodePool, 'soft');
  });

  it('avoids an existing node with a PreferNoSchedule taint while a new node can be launched', () => {
    const n = solverNode('soft-node', { zone: 'zone-a', taints: [{ key: 'spot-only', effect: 'PreferNoSchedule' }] });
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [pool()], nodes: [n] });
    assert.equal(r.existingNodes.length, 0);
    assert.equal(r.newNodeClaims.length, 1);
    const noPool = solve({ pods: [pod({ cpu: '1' })], nodePools: [], nodes: [n] });
    assert.equal(only(noPool.existingNodes).node, 'soft-node');
  });

  it('keeps pods off existing nodes whose NoSchedule or NoExecute taints they do not tolerate', () => {
    const nodes = [
      solverNode('tainted', { taints: [noSchedule] }),
      solverNode('evicting', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
    ];
    const r = solve({ pods: [pod({ name: 'plain', cpu: '1' }), pod({ name: 'db', cpu: '1', tolerations: tolerateDb })], nodePools: [pool()], nodes });
    const where = placements(r);
    assert.equal(where.get('db'), 'tainted');
    assert.notEqual(where.get('plain'), 'tainted');
    assert.notEqual(where.get('plain'), 'evicting');
  });
});

describe('solve: volume topology', () => {
  const withPvc = (claimName: string): Pod => pod({ name: 'p', cpu: '1', pvc: claimName });

  it('pins the pod to the zone of the PersistentVolume its claim is bound to', () => {
    const volumes = { persistentVolumes: [persistentVolume('pv-1', { zone: 'zone-b' })], persistentVolumeClaims: [persistentVolumeClaim('data', { volumeName: 'pv-1' })] };
    const r = solve({ pods: [withPvc('data')], nodePools: [pool()], volumes });
    assert.deepEqual(zonesOf(only(r.newNodeClaims)), ['zone-b']);
  });

  it('reads a PersistentVolume pinned with the deprecated beta zone key', () => {
    const volumes = { persistentVolumes: [persistentVolume('pv-1', { zone: 'zone-c', zoneKey: 'failure-domain.beta.kubernetes.io/zone' })], persistentVolumeClaims: [persistentVolumeClaim('data', { volumeName: 'pv-1' })] };
    assert.deepEqual(zonesOf(only(solve({ pods: [withPvc('data')], nodePools: [pool()], volumes }).newNodeClaims)), ['zone-c']);
  });

  it('restricts an unbound claim to its WaitForFirstConsumer StorageClass allowedTopologies', () => {
    const volumes = { storageClasses: [storageClass('zonal', { zones: ['zone-a', 'zone-c'] })], persistentVolumeClaims: [persistentVolumeClaim('data', { storageClassName: 'zonal' })] };
    assert.deepEqual(zonesOf(only(solve({ pods: [withPvc('data')], nodePools: [pool()], volumes }).newNodeClaims)), ['zone-a', 'zone-c']);
  });

  it('reports a pod whose claim does not exist, naming it, and places the others', () => {
    const r = solve({ pods: [withPvc('missing'), pod({ name: 'q', cpu: '1' })], nodePools: [pool()] });
    const u = only(r.unschedulable);
    assert.equal(u.pod.metadata.name, 'p');
    assert.match(u.reason, /missing/);
    assert.equal(only(r.newNodeClaims).pods[0]!.metadata.name, 'q');
  });

  it('reports a volume zone that conflicts with the pod nodeSelector', () => {
    const volumes = { persistentVolumes: [persistentVolume('pv-1', { zone: 'zone-b' })], persistentVolumeClaims: [persistentVolumeClaim('data', { volumeName: 'pv-1' })] };
    const r = solve({ pods: [pod({ cpu: '1', pvc: 'data', nodeSelector: { [ZONE]: 'zone-a' } })], nodePools: [pool()], volumes });
    assert.equal(r.newNodeClaims.length, 0);
    assert.equal(r.unschedulable.length, 1);
  });
});

describe('solve: host ports', () => {
  it('puts pods that want the same host port on different nodes', () => {
    const r = solve({ pods: [pod({ name: 'a', cpu: '100m', hostPort: 8080 }), pod({ name: 'b', cpu: '100m', hostPort: 8080 }), pod({ name: 'c', cpu: '100m', hostPort: 9090 })], nodePools: [pool()] });
    const where = placements(r);
    assert.notEqual(where.get('a'), where.get('b'));
    assert.equal(r.unschedulable.length, 0);
    assert.equal(r.newNodeClaims.length, 2);
  });

  it('places only one of two pods wanting the same host port on an existing node', () => {
    const r = solve({ pods: [pod({ name: 'a', cpu: '100m', hostPort: 8080 }), pod({ name: 'b', cpu: '100m', hostPort: 8080 })], nodePools: [pool()], nodes: [solverNode('roomy')] });
    assert.equal(only(r.existingNodes).pods.length, 1);
    assert.equal(only(r.newNodeClaims).pods.length, 1);
  });

  it('keeps a pod off an existing node whose bound pod holds its host port', {}, () => {
    const n = solverNode('busy', { bound: [pod({ name: 'old', cpu: '100m', hostPort: 8080 })] });
    const r = solve({ pods: [pod({ name: 'new', cpu: '100m', hostPort: 8080 }), pod({ name: 'other', cpu: '100m', hostPort: 9090 })], nodePools: [pool()], nodes: [n] });
    const where = placements(r);
    assert.notEqual(where.get('new'), 'busy');
    assert.notEqual(where.get('new'), 'unschedulable');
    assert.equal(where.get('other'), 'busy');
  });
});
