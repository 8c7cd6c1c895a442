/**
 * The Placer's memo of failed scans over existing nodes (a pod of the variant of a pod whose scan
 * failed, with nothing changed since, fails without a scan) against the same solves with every
 * scan run. Batches mix zone spread (required and preferred), hostname
 * anti-affinity and preferred zone affinity over existing nodes in three zones that already run
 * pods of the spread, with and without a pool to open claims from (the kube-scheduler stand-in
 * solves with none), so placements on nodes and claims and new hostnames change the verdicts
 * between pods of one variant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../apis/core.js';
import { instanceType, nodePool, pod, solverNode } from '../test/builders.js';
import { failedScans } from './placer.js';
import { solve } from './solver.js';
import type { SolverInput, SolverResult } from './types.js';

const ZONES = ['test-zone-a', 'test-zone-b', 'test-zone-c'];
const ZONE_KEY = 'topology.kubernetes.io/zone';

type Kind = 'spread' | 'soft-spread' | 'anti' | 'near';

interface World {
  readonly pods: readonly { readonly kind: Kind; readonly cpu: number }[];
  readonly nodes: readonly { readonly zone: number; readonly cpu: number; readonly bound: number; readonly inFlight: boolean }[];
  readonly pool: 'none' | 'open' | 'limited';
}

const worldGen: fc.Arbitrary<World> = fc.record({
  // Few kinds and sizes: pods share variants, so the memo is asked.
  pods: fc.array(fc.record({
    kind: fc.constantFrom<Kind>('spread', 'spread', 'soft-spread', 'anti', 'near'),
    cpu: fc.constantFrom(500, 1000, 1500),
  }), { minLength: 1, maxLength: 12 }),
  nodes: fc.array(fc.record({
    zone: fc.integer({ min: 0, max: 2 }),
    cpu: fc.constantFrom(1, 2, 4),
    bound: fc.integer({ min: 0, max: 3 }),
    inFlight: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  }), { maxLength: 5 }),
  pool: fc.constantFrom<World['pool']>('none', 'open', 'limited'),
});

/** The pod's constraints: `web` pods spread by zone, `anti` pods repel each other by hostname. */
function podOf(kind: Kind, name: string, cpu: number): Pod {
  const labels = { app: kind === 'anti' ? 'anti' : 'web' };
  const spread = (soft: boolean) => [{
    maxSkew: 1, topologyKey: ZONE_KEY, whenUnsatisfiable: soft ? 'ScheduleAnyway' as const : 'DoNotSchedule' as const,
    labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['app'],
  }];
  switch (kind) {
    case 'spread':
    case 'soft-spread':
      return pod({ name, cpu: `${cpu}m`, memory: '128Mi', labels, spread: spread(kind === 'soft-spread') });
    case 'anti':
      return pod({
        name, cpu: `${cpu}m`, memory: '128Mi', labels,
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      });
    case 'near':
      return pod({
        name, cpu: `${cpu}m`, memory: '128Mi', labels,
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [ZONES[0]!] }] } }] } },
      });
  }
}

function inputOf(w: World): SolverInput {
  const pods = w.pods.map((g, i) => podOf(g.kind, `p${i}`, g.cpu));
  const nodes = w.nodes.map((n, i) => solverNode(`n${i}`, {
    zone: ZONES[n.zone]!, cpu: String(n.cpu), inFlight: n.inFlight,
    bound: Array.from({ length: n.bound }, (_, j) => pod({ name: `b${i}-${j}`, cpu: '100m', memory: '64Mi', labels: { app: 'web' } })),
  }));
  const types = [instanceType('small', { cpu: '2', memory: '8Gi', price: 0.1 })];
  const nodePools = w.pool === 'none' ? [] : [{ nodePool: nodePool(w.pool === 'limited' ? { limits: { cpu: '4' } } : {}), instanceTypes: types }];
  return { pods, nodes, nodePools };
}

/** The result with pods by name. */
function byName(r: SolverResult): unknown {
  const name = (p: Pod) => p.metadata.name;
  return {
    claims: r.newNodeClaims.map((c) => ({ ...c, pods: c.pods.map(name) })),
    existing: r.existingNodes.map((e) => ({ node: e.node, pods: e.pods.map(name) })),
    unschedulable: r.unschedulable.map((u) => ({ pod: name(u.pod), reason: u.reason })),
    price: r.totalPricePerHour,
  };
}

describe('Placer: failed scans', () => {
  it('places every pod as the solve that runs every scan does', () => {
    let refused = 0;
    fc.assert(fc.property(worldGen, (w) => {
      const input = inputOf(w);
      const skipping = solve(input);
      failedScans.skip = false;
      let scanning: SolverResult;
      try {
        scanning = solve(input);
      } finally {
        failedScans.skip = true;
      }
      refused += skipping.unschedulable.length;
      assert.deepEqual(byName(skipping), byName(scanning));
    }), {
      numRuns: 400,
      // The larger pods fail until the small one, retried after them, fills zone b; then the first fits zone a.
      examples: [[{
        pods: [{ kind: 'spread', cpu: 1000 }, { kind: 'spread', cpu: 1000 }, { kind: 'spread', cpu: 500 }],
        nodes: [{ zone: 0, cpu: 2, bound: 2, inFlight: false }, { zone: 1, cpu: 1, bound: 1, inFlight: false }],
        pool: 'none',
      }]],
    });
    // Pods left without a place are where a carried failure would show.
    assert.ok(refused > 50, `only ${refused} pods were refused`);
  });
});
