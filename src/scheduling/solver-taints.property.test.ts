/**
 * First fit leaves out the existing nodes whose taints every pod of the batch refuses on every rung
 * (refusedTaintClasses): a solve must place exactly as one where those nodes accept no pods at all,
 * and never leave out a node some pod tolerates, nor one whose only taints are PreferNoSchedule
 * (a relaxed rung tolerates those).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Taint, Toleration } from '../apis/core.js';
import { instanceType, nodePool, placements, pod, solverNode } from '../test/builders.js';
import { NodeBaseChain } from './node-base.js';
import { solve } from './solver.js';
import { firstUntoleratedTaint } from './taints.js';
import type { SolverNode, SolverNodePool } from './types.js';

const ZONE = 'topology.kubernetes.io/zone';

const TAINTS: Record<string, Taint[]> = {
  none: [],
  starting: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }],
  dedicated: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
  soft: [{ key: 'spare', effect: 'PreferNoSchedule' }],
  both: [{ key: 'spare', effect: 'PreferNoSchedule' }, { key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
};
const TOLERATIONS: Record<string, Toleration[] | undefined> = {
  none: undefined,
  dedicated: [{ key: 'dedicated', operator: 'Equal', value: 'db' }],
  otherValue: [{ key: 'dedicated', operator: 'Equal', value: 'web' }],
  everything: [{ operator: 'Exists' }],
  noExecute: [{ operator: 'Exists', effect: 'NoExecute' }],
};

interface NodeGen { taints: keyof typeof TAINTS; cpu: 2 | 4; zone: 'a' | 'b'; busy: boolean }
interface PodGen { tolerations: keyof typeof TOLERATIONS; cpu: number; spread: boolean }
interface World { nodes: NodeGen[]; pods: PodGen[][]; pools: boolean }

const worldGen: fc.Arbitrary<World> = fc.record({
  nodes: fc.array(fc.record({
    taints: fc.constantFrom(...Object.keys(TAINTS)),
    cpu: fc.constantFrom(2 as const, 4 as const),
    zone: fc.constantFrom('a' as const, 'b' as const),
    busy: fc.boolean(),
  }), { minLength: 1, maxLength: 8 }),
  pods: fc.array(fc.array(fc.record({
    tolerations: fc.constantFrom(...Object.keys(TOLERATIONS)),
    cpu: fc.integer({ min: 1, max: 15 }).map((n) => n * 100),
    spread: fc.boolean(),
  }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
  pools: fc.boolean(),
});

let seq = 0;

function makeNodes(w: World): SolverNode[] {
  return w.nodes.map((g, i) => solverNode(`n${i}`, {
    cpu: String(g.cpu),
    zone: `zone-${g.zone}`,
    // A taints array per node: equal content, distinct objects.
    taints: TAINTS[g.taints]!.map((t) => ({ ...t })),
    bound: g.busy ? [pod({ name: `b${++seq}`, cpu: '500m', labels: { app: 'x' } })] : [],
  }));
}

function makePods(gens: readonly PodGen[]) {
  return gens.map((g) => pod({
    name: `p${++seq}`,
    cpu: `${g.cpu}m`,
    labels: { app: 'x' },
    tolerations: TOLERATIONS[g.tolerations],
    spread: g.spread ? [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } }] : undefined,
  }));
}

function pools(w: World): SolverNodePool[] {
  if (!w.pools) return [];
  return [{ nodePool: nodePool({}), instanceTypes: [instanceType('t4', { cpu: '4', memory: '16Gi', price: 0.2 })] }];
}

/** The nodes as the test's own rule says no pod of the batch can go to them: accepting no pods at all. */
function withoutRefused(nodes: readonly SolverNode[], pods: ReturnType<typeof makePods>): SolverNode[] {
  return nodes.map((n) => {
    const refused = pods.every((p) => n.taints.some((t) => t.effect !== 'PreferNoSchedule' && firstUntoleratedTaint(p.spec.tolerations, [t]) !== undefined));
    return refused ? { ...n, unschedulable: true } : n;
  });
}

describe('solve over tainted nodes', () => {
  it('places as if the nodes every pod refuses accepted no pods, over fresh and carried bases', () => {
    fc.assert(fc.property(worldGen, (w) => {
      const made = makeNodes(w);
      const chain = new NodeBaseChain();
      w.pods.forEach((gens, k) => {
        // Every other batch sees the nodes reversed: a base carrying the last one's taint classes
        // then numbers them in another order.
        const nodes = k % 2 === 0 ? made : made.slice().reverse();
        const pods = makePods(gens);
        const want = solve({ pods, nodePools: pools(w), nodes: withoutRefused(nodes, pods) });
        assert.deepEqual(solve({ pods, nodePools: pools(w), nodes }), want);
        assert.deepEqual(solve({ pods, nodePools: pools(w), nodeSubset: chain.next(nodes).all() }), want);
      });
    }), { numRuns: 300 });
  });

  it('places a pod on the tainted node it tolerates, beside pods that refuse it', () => {
    const nodes = [solverNode('tainted', { taints: TAINTS.dedicated! })];
    const [refusing, tolerating] = [pod({ name: 'refusing', cpu: '1' }), pod({ name: 'tolerating', cpu: '1', tolerations: TOLERATIONS.dedicated })];
    const r = solve({ pods: [refusing, tolerating], nodePools: [], nodes });
    assert.deepEqual(Object.fromEntries(placements(r)), { tolerating: 'tainted', refusing: 'unschedulable' });
  });

  it('leaves out only the refused nodes, whatever order their taint classes come in', () => {
    const names = ['dedicated', 'starting', 'none', 'soft', 'both', 'none'] as const;
    const made = names.map((t, i) => solverNode(`n${i}-${t}`, { cpu: '2', taints: TAINTS[t]!.map((x) => ({ ...x })) }));
    const chain = new NodeBaseChain();
    for (const nodes of [made, made.slice().reverse(), made]) {
      // Each pod fills a node: first fit shows which nodes each batch may use, in order.
      const pods = names.map((_, i) => pod({ name: `p${++seq}-${i}`, cpu: '1500m' }));
      const want = placements(solve({ pods, nodePools: [], nodes: withoutRefused(nodes, pods) }));
      assert.deepEqual(placements(solve({ pods, nodePools: [], nodeSubset: chain.next(nodes).all() })), want);
      assert.deepEqual([...want.values()].filter((n) => n !== 'unschedulable').sort(), nodes.filter((n) => !n.taints.some((t) => t.effect !== 'PreferNoSchedule')).map((n) => n.name).sort());
    }
  });

  it('places a pod on a node with only PreferNoSchedule taints once it relaxes', () => {
    const nodes = [solverNode('soft', { taints: TAINTS.soft! }), solverNode('starting', { taints: TAINTS.starting! })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1' })], nodePools: [], nodes });
    assert.equal(placements(r).get('p'), 'soft');
  });
});
