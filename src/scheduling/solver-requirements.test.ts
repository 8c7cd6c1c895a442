/**
 * Solver: requirement operators on instance labels (Gt, Lt), capacity type from pools and pods,
 * matchFields on the node name, the order of relaxation between OR terms and preferences,
 * preferences against existing nodes, and requests with init containers, sidecars and overhead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { SolverNodePool, SolverResult } from './types.js';
import type { NodeSelectorRequirement, Pod } from '../apis/core.js';
import { kwokCatalog } from '../cloudprovider/catalog/index.js';
import { instanceType, nodePool, offeringZones, placements, pod, solverNode } from '../test/builders.js';

const ZONE = 'topology.kubernetes.io/zone';
const CAPACITY_TYPE = 'karpenter.sh/capacity-type';
const TYPES = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2, spotPrice: 0.06 }),
];
const POOL: SolverNodePool = { nodePool: nodePool(), instanceTypes: TYPES };

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

const requiring = (...exprs: NodeSelectorRequirement[]): Pod =>
  pod({ name: 'p', cpu: '1', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] } } } });

function capacityTypes(r: SolverResult): string[] {
  return [...new Set(only(r.newNodeClaims).instanceTypeOptions.flatMap((o) => o.offerings.map((x) => x.capacityType)))].sort();
}

describe('solve: requirement operators on instance labels', () => {
  const kwok: SolverNodePool = { nodePool: nodePool(), instanceTypes: kwokCatalog({ cpus: [1, 2, 4, 8, 16], zones: ['zone-a'] }) };
  const cpusOf = (r: SolverResult): number[] =>
    [...new Set(only(r.newNodeClaims).instanceTypeOptions.map((o) => Number(o.instanceType.requirements['karpenter.kwok.sh/instance-cpu']![0])))].sort((a, b) => a - b);

  it('keeps only types whose label is greater than a Gt value', () => {
    assert.deepEqual(cpusOf(solve({ pods: [requiring({ key: 'karpenter.kwok.sh/instance-cpu', operator: 'Gt', values: ['4'] })], nodePools: [kwok] })), [8, 16]);
  });

  it('keeps only types whose label is less than a Lt value, and reports an empty range', () => {
    assert.deepEqual(cpusOf(solve({ pods: [requiring({ key: 'karpenter.kwok.sh/instance-cpu', operator: 'Lt', values: ['4'] })], nodePools: [kwok] })), [2]);
    const none = solve({ pods: [requiring({ key: 'karpenter.kwok.sh/instance-cpu', operator: 'Gt', values: ['16'] })], nodePools: [kwok] });
    assert.equal(none.newNodeClaims.length, 0);
    assert.equal(none.unschedulable.length, 1);
  });

  it('combines with the pool requirements', () => {
    const pool: SolverNodePool = { ...kwok, nodePool: nodePool({ requirements: [{ key: 'karpenter.kwok.sh/instance-family', operator: 'In', values: ['m'] }] }) };
    const r = solve({ pods: [requiring({ key: 'karpenter.kwok.sh/instance-cpu', operator: 'Gt', values: ['8'] })], nodePools: [pool] });
    assert.deepEqual(only(r.newNodeClaims).instanceTypeOptions.map((o) => o.instanceType.name).sort(), ['m-16x-amd64-linux', 'm-16x-arm64-linux']);
  });
});

describe('solve: capacity type', () => {
  it('prefers the cheaper spot offering when nothing restricts the capacity type', () => {
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [POOL] });
    assert.deepEqual(capacityTypes(r), ['on-demand', 'spot']);
    assert.equal(only(r.newNodeClaims).pricePerHour, 0.03);
  });

  it('honours a pod nodeSelector and a pool requirement on capacity type', () => {
    const selected = solve({ pods: [pod({ cpu: '1', nodeSelector: { [CAPACITY_TYPE]: 'on-demand' } })], nodePools: [POOL] });
    assert.deepEqual(capacityTypes(selected), ['on-demand']);
    assert.equal(only(selected.newNodeClaims).pricePerHour, 0.1);
    const pool: SolverNodePool = { ...POOL, nodePool: nodePool({ requirements: [{ key: CAPACITY_TYPE, operator: 'In', values: ['on-demand'] }] }) };
    assert.deepEqual(capacityTypes(solve({ pods: [pod({ cpu: '1' })], nodePools: [pool] })), ['on-demand']);
    const clash = solve({ pods: [pod({ cpu: '1', nodeSelector: { [CAPACITY_TYPE]: 'spot' } })], nodePools: [pool] });
    assert.equal(clash.newNodeClaims.length, 0);
  });
});

describe('solve: matchFields and relaxation order', () => {
  const byName = (name: string): Pod => pod({ name: 'p', cpu: '1', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] } } } });

  it('places a pod that names its node with matchFields only on that node', () => {
    const nodes = [solverNode('n1'), solverNode('n2')];
    assert.equal(placements(solve({ pods: [byName('n2')], nodePools: [POOL], nodes })).get('p'), 'n2');
    const missing = solve({ pods: [byName('n9')], nodePools: [POOL], nodes });
    assert.equal(missing.newNodeClaims.length, 0);
    assert.equal(missing.unschedulable.length, 1);
  });

  it('drops an unsatisfiable OR term before the preferred term, and the preference last', () => {
    const p = pod({
      name: 'p', cpu: '1', affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-x'] }] }, { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-b', 'zone-c'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-c'] }] } }],
        },
      },
    });
    assert.deepEqual(offeringZones(only(solve({ pods: [p], nodePools: [POOL] }).newNodeClaims)), ['zone-c']);
  });

  it('launches a node that meets a preference rather than use an existing node that does not, as Karpenter does', () => {
    const prefersC = pod({ name: 'p', cpu: '1', affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-c'] }] } }] } } });
    const r = solve({ pods: [prefersC], nodePools: [POOL], nodes: [solverNode('n1', { zone: 'zone-a' })] });
    assert.equal(r.existingNodes.length, 0);
    assert.deepEqual(offeringZones(only(r.newNodeClaims)), ['zone-c']);
    // Without a pool the preference is relaxed and the existing node takes the pod.
    assert.equal(placements(solve({ pods: [prefersC], nodePools: [], nodes: [solverNode('n1', { zone: 'zone-a' })] })).get('p'), 'n1');
  });

  it('ignores preferences entirely under ignorePreferences', () => {
    const prefersC = pod({ cpu: '1', affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-c'] }] } }] } } });
    const r = solve({ pods: [prefersC], nodePools: [POOL], options: { ignorePreferences: true } });
    assert.deepEqual(offeringZones(only(r.newNodeClaims)), ['zone-a', 'zone-b', 'zone-c']);
  });
});

describe('solve: pod requests as kube-scheduler computes them', () => {
  it('sizes the claim for the largest init container when it exceeds the containers', () => {
    const p = pod({ name: 'init', cpu: '100m' });
    p.spec.initContainers = [{ name: 'migrate', resources: { requests: { cpu: '3' } } }];
    const claim = only(solve({ pods: [p], nodePools: [POOL] }).newNodeClaims);
    assert.equal(claim.requests.cpu, 3000);
    assert.deepEqual(claim.instanceTypeOptions.map((o) => o.instanceType.name), ['medium']);
  });

  it('adds sidecars (restartable init containers) and pod overhead to the containers', () => {
    const p = pod({ name: 'sidecar', cpu: '1' });
    p.spec.initContainers = [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }];
    p.spec.overhead = { cpu: '250m' };
    const claim = only(solve({ pods: [p], nodePools: [POOL] }).newNodeClaims);
    assert.equal(claim.requests.cpu, 1750);
  });
});
