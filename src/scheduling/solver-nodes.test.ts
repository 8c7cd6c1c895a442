/**
 * Solver: existing and in-flight nodes, nodes being disrupted, bad pod specs that must become
 * reasons rather than exceptions, and determinism.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { SolverInput, SolverNodePool, SolverResult } from './types.js';
import type { Pod } from '../apis/core.js';
import { kwokCatalog } from '../cloudprovider/catalog/index.js';
import { daemonSet, instanceType, nodePool, placements, pod, solverNode } from '../test/builders.js';

const ZONE = 'topology.kubernetes.io/zone';
const TYPES = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }),
  instanceType('large', { cpu: '8', memory: '16Gi', price: 0.4 }),
];
const POOL: SolverNodePool = { nodePool: nodePool(), instanceTypes: TYPES };

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

describe('solve: existing nodes', () => {
  it('places pods on existing nodes with room before launching anything', () => {
    const r = solve({ pods: [pod({ name: 'a', cpu: '1' }), pod({ name: 'b', cpu: '2' })], nodePools: [POOL], nodes: [solverNode('n1', { cpu: '4' })] });
    assert.equal(r.newNodeClaims.length, 0);
    assert.equal(r.totalPricePerHour, 0);
    const placed = only(r.existingNodes);
    assert.equal(placed.node, 'n1');
    assert.deepEqual(placed.pods.map((p) => p.metadata.name).sort(), ['a', 'b']);
  });

  it('counts the pods already bound against the node allocatable', () => {
    const n = solverNode('n1', { cpu: '4', bound: [pod({ name: 'old', cpu: '3' })] });
    const r = solve({ pods: [pod({ name: 'fits', cpu: '1' }), pod({ name: 'too-big', cpu: '1500m' })], nodePools: [POOL], nodes: [n] });
    const where = placements(r);
    assert.equal(where.get('fits'), 'n1');
    assert.notEqual(where.get('too-big'), 'n1');
    assert.notEqual(where.get('too-big'), 'unschedulable');
  });

  it('counts the pods resource of existing nodes', () => {
    const n = solverNode('n1', { cpu: '16', pods: '2', bound: [pod({ name: 'old', cpu: '100m' })] });
    const r = solve({ pods: [pod({ name: 'a', cpu: '100m' }), pod({ name: 'b', cpu: '100m' })], nodePools: [POOL], nodes: [n] });
    assert.equal(only(r.existingNodes).pods.length, 1);
    assert.equal(only(r.newNodeClaims).pods.length, 1);
  });

  it('matches node selectors against the labels of existing nodes', () => {
    const nodes = [solverNode('in-a', { zone: 'zone-a' }), solverNode('in-b', { zone: 'zone-b' })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', nodeSelector: { [ZONE]: 'zone-b' } })], nodePools: [POOL], nodes });
    assert.equal(placements(r).get('p'), 'in-b');
  });

  it('tries initialised nodes before in-flight ones, whatever the input order', () => {
    const nodes = [solverNode('launching', { inFlight: true }), solverNode('ready')];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1' })], nodePools: [POOL], nodes });
    assert.equal(placements(r).get('p'), 'ready');
  });

  it('uses in-flight nodes before launching new ones', () => {
    const nodes = [solverNode('ready', { cpu: '1' }), solverNode('launching', { inFlight: true, cpu: '4' })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '2' })], nodePools: [POOL], nodes });
    assert.equal(placements(r).get('p'), 'launching');
    assert.equal(r.newNodeClaims.length, 0);
  });

  it('stops at the first placement stopWhenPlaced answers true for, keeping what was placed before it', () => {
    const nodes = [solverNode('ready', { cpu: '2' }), solverNode('launching', { inFlight: true, cpu: '4' })];
    // Largest first: huge (6) gets a new claim, big (3) goes to launching, mid (2) to ready, small (1) to launching.
    const pods = [pod({ name: 'small', cpu: '1' }), pod({ name: 'mid', cpu: '2' }), pod({ name: 'big', cpu: '3' }), pod({ name: 'huge', cpu: '6' })];
    const full = solve({ pods, nodePools: [POOL], nodes });
    assert.equal(full.stopped, undefined);
    assert.equal(placements(full).get('small'), 'launching');
    assert.equal(full.newNodeClaims.length, 1);
    const asked: string[] = [];
    const stackLimit = Error.stackTraceLimit;
    const r = solve({
      pods, nodePools: [POOL], nodes,
      stopWhenPlaced: (p, node) => {
        asked.push(`${p.metadata.name}@${node}`);
        return p.metadata.name === 'small' && node === 'launching';
      },
    });
    assert.deepEqual(r.stopped && { pod: r.stopped.pod.metadata.name, node: r.stopped.node }, { pod: 'small', node: 'launching' });
    assert.deepEqual(asked, ['big@launching', 'mid@ready', 'small@launching']);
    // The stop captures no stack, and leaves the stack limit of later errors as it was.
    assert.equal(Error.stackTraceLimit, stackLimit);
    // Nothing is finalised after the stop (no claims), and the stopping placement is in the result.
    assert.equal(r.newNodeClaims.length, 0);
    assert.equal(placements(r).get('small'), 'launching');
  });

  it('never places pods on unschedulable nodes', () => {
    const nodes = [solverNode('draining', { unschedulable: true, cpu: '64', memory: '256Gi' })];
    const r = solve({ pods: [pod({ cpu: '1' }), pod({ cpu: '1' })], nodePools: [POOL], nodes });
    assert.equal(r.existingNodes.length, 0);
    assert.ok(r.newNodeClaims.length >= 1);
    const stranded = solve({ pods: [pod({ cpu: '1' })], nodePools: [], nodes });
    assert.equal(stranded.existingNodes.length, 0);
    assert.equal(stranded.unschedulable.length, 1);
  });

  it('still counts the pods of unschedulable nodes for topology', () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: 'db' } } }] } };
    const nodes = [solverNode('draining', { zone: 'zone-a', unschedulable: true, bound: [pod({ name: 'db-0', cpu: '100m', labels: { app: 'db' } })] })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: anti })], nodePools: [POOL], nodes });
    const zones = new Set(only(r.newNodeClaims).instanceTypeOptions.flatMap((o) => o.offerings.map((x) => x.zone)));
    assert.deepEqual([...zones].sort(), ['zone-b', 'zone-c']);
  });

  it('does not reserve daemonset overhead again on existing nodes', () => {
    const r = solve({ pods: [pod({ name: 'p', cpu: '3500m' })], nodePools: [POOL], nodes: [solverNode('n1', { cpu: '4' })], daemonSets: [daemonSet({ cpu: '1' })] });
    assert.equal(placements(r).get('p'), 'n1');
  });
});

describe('solve: bad pods never throw', () => {
  const bad: [string, Pod, RegExp][] = [
    ['an unparseable quantity', pod({ name: 'bad-qty', cpu: 'lots' }), /lots|quantity/],
    ['a negative request', pod({ name: 'negative', cpu: '-1' }), /negative/],
    ['an unknown node affinity operator', pod({ name: 'bad-op', cpu: '1', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'Near', values: ['zone-a'] }] }] } } } }), /Near|operator/],
    ['Gt with a non-integer value', pod({ name: 'bad-gt', cpu: '1', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'example.com/gen', operator: 'Gt', values: ['new'] }] }] } } } }), /Gt|new|integer/],
    ['an unknown label selector operator', pod({ name: 'bad-sel', cpu: '1', spread: [{ topologyKey: ZONE, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Like', values: ['x'] }] } }] }), /Like|operator/],
    ['a zero maxSkew', pod({ name: 'bad-skew', cpu: '1', spread: [{ topologyKey: ZONE, maxSkew: 0, whenUnsatisfiable: 'DoNotSchedule' }] }), /maxSkew/],
  ];

  for (const [what, badPod, pattern] of bad) {
    it(`turns ${what} into that pod's reason and places the others`, () => {
      let r: SolverResult | undefined;
      assert.doesNotThrow(() => {
        r = solve({ pods: [pod({ name: 'good-1', cpu: '1' }), badPod, pod({ name: 'good-2', cpu: '500m' })], nodePools: [POOL] });
      });
      const u = only(r!.unschedulable);
      assert.equal(u.pod, badPod);
      assert.match(u.reason, pattern);
      const where = placements(r!);
      assert.notEqual(where.get('good-1'), 'unschedulable');
      assert.notEqual(where.get('good-2'), 'unschedulable');
    });
  }

  it('gives a reason when there is no nodepool at all', () => {
    const r = solve({ pods: [pod({ cpu: '1' })], nodePools: [] });
    assert.ok(only(r.unschedulable).reason.length > 0);
  });

  it('tolerates a bad pod already bound to an existing node', () => {
    const n = solverNode('n1', { bound: [pod({ name: 'weird', cpu: 'lots' })] });
    assert.doesNotThrow(() => solve({ pods: [pod({ cpu: '1' })], nodePools: [POOL], nodes: [n] }));
  });
});

/** A JSON projection of a result: what a user or the plan command sees. */
function project(r: SolverResult): unknown {
  return {
    claims: r.newNodeClaims.map((c) => ({
      hostname: c.hostname,
      pool: c.nodePool,
      requirements: c.requirements,
      options: c.instanceTypeOptions.map((o) => [o.instanceType.name, o.price, o.offerings.map((x) => `${x.zone}/${x.capacityType}`)]),
      pods: c.pods.map((p) => p.metadata.name),
      requests: c.requests,
      price: c.pricePerHour,
    })),
    existing: r.existingNodes.map((e) => [e.node, e.pods.map((p) => p.metadata.name)]),
    unschedulable: r.unschedulable.map((u) => [u.pod.metadata.name, u.reason]),
    total: r.totalPricePerHour,
  };
}

function mixedInput(): SolverInput {
  const pods: Pod[] = [];
  for (let i = 0; i < 60; i++) {
    const app = ['web', 'api', 'batch', 'cache'][i % 4]!;
    pods.push(pod({
      name: `p-${i}`,
      cpu: `${100 + ((i * 337) % 3900)}m`,
      memory: `${128 + ((i * 911) % 8000)}Mi`,
      labels: { app },
      spread: app === 'web' ? [{ topologyKey: ZONE, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } }] : undefined,
      affinity: app === 'cache' ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app } } }] } } : undefined,
      nodeSelector: app === 'batch' && i % 8 === 2 ? { [ZONE]: 'test-zone-b' } : undefined,
    }));
  }
  return {
    pods,
    nodePools: [{ nodePool: nodePool(), instanceTypes: kwokCatalog({ cpus: [1, 2, 4, 8, 16] }) }],
    nodes: [solverNode('n1', { zone: 'test-zone-a', cpu: '4', bound: [pod({ name: 'old', cpu: '1', labels: { app: 'web' } })] })],
    daemonSets: [daemonSet({ cpu: '100m', memory: '64Mi' })],
  };
}

describe('solve: determinism', () => {
  it('gives the same result for the same input, twice', () => {
    const a = project(solve(mixedInput()));
    const b = project(solve(mixedInput()));
    assert.deepEqual(a, b);
    const input = mixedInput();
    assert.deepEqual(project(solve(input)), project(solve(input)));
  });

  it('does not change its input', () => {
    const input = mixedInput();
    const before = structuredClone(input);
    solve(input);
    assert.deepEqual(input, before);
  });
});
