/**
 * SolverInput.stopWhenClaimed over random batches: a solve that stops must be one whose full run
 * opens more claims holding counted pods than allowed, or leaves a counted pod without a place;
 * a solve that does not stop must be the full one. Batches mix plain pods (cost packing), hostname
 * anti-affinity (first fit, retried), existing and in-flight nodes and a pool with a cpu limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../apis/core.js';
import { instanceType, nodePool, pod, solverNode } from '../test/builders.js';
import { solve } from './solver.js';
import type { SolverInput, SolverNodePool, SolverResult } from './types.js';

const TYPES = [
  instanceType('small', { cpu: '2', memory: '8Gi', price: 0.1 }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4 }),
];

interface PodGen { readonly cpuMilli: number; readonly anti: boolean; readonly counted: boolean }
interface World {
  readonly pods: readonly PodGen[];
  readonly nodes: readonly { readonly cpu: number; readonly inFlight: boolean }[];
  readonly limitCpu: number | undefined;
  readonly most: number;
}

const worldGen: fc.Arbitrary<World> = fc.record({
  pods: fc.array(fc.record({
    // Now and then a pod no type holds.
    cpuMilli: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 30 }).map((n) => n * 250), weight: 12 }, { arbitrary: fc.constant(9000), weight: 1 }),
    anti: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    counted: fc.boolean(),
  }), { minLength: 1, maxLength: 14 }),
  nodes: fc.array(fc.record({ cpu: fc.constantFrom(1, 2, 4), inFlight: fc.boolean() }), { maxLength: 3 }),
  limitCpu: fc.option(fc.constantFrom(8, 16, 24), { nil: undefined }),
  most: fc.integer({ min: 0, max: 3 }),
});

function inputOf(w: World): { input: SolverInput; counted: (p: Pod) => boolean } {
  const counted = new Set<string>();
  const pods = w.pods.map((g, i) => {
    const name = `p${i}`;
    if (g.counted) counted.add(name);
    return pod({
      name,
      cpu: `${g.cpuMilli}m`,
      memory: '256Mi',
      labels: { app: g.anti ? 'anti' : 'plain' },
      affinity: g.anti
        ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } }
        : undefined,
    });
  });
  const pool: SolverNodePool = { nodePool: nodePool(w.limitCpu === undefined ? {} : { limits: { cpu: String(w.limitCpu) } }), instanceTypes: TYPES };
  const nodes = w.nodes.map((n, i) => solverNode(`n${i}`, { cpu: String(n.cpu), inFlight: n.inFlight }));
  return { input: { pods, nodePools: [pool], nodes }, counted: (p) => counted.has(p.metadata.name ?? '') };
}

/** Claims of the full solve holding a counted pod, and whether a counted pod found no place. */
function countedOutcome(r: SolverResult, counted: (p: Pod) => boolean): { claims: number; failed: boolean } {
  return { claims: r.newNodeClaims.filter((c) => c.pods.some(counted)).length, failed: r.unschedulable.some((u) => counted(u.pod)) };
}

describe('solve: stopWhenClaimed', () => {
  it('stops only when the full solve opens more claims with counted pods than allowed or leaves one without a place, and otherwise is the full solve', () => {
    let stops = 0;
    let atTheCount = 0;
    fc.assert(fc.property(worldGen, (w) => {
      const { input, counted } = inputOf(w);
      const full = solve(input);
      const r = solve({ ...input, stopWhenClaimed: { pods: counted, most: w.most } });
      const outcome = countedOutcome(full, counted);
      if (r.stopped) {
        stops++;
        assert.equal(r.stopped.claims, true);
        assert.ok(counted(r.stopped.pod));
        assert.equal(r.newNodeClaims.length, 0);
        assert.ok(outcome.claims > w.most || outcome.failed, `stopped, yet the full solve opens ${outcome.claims} counted claims (at most ${w.most}) and places every counted pod`);
      } else {
        assert.deepEqual(r, full);
        if (outcome.claims === w.most && outcome.claims > 0) atTheCount++;
      }
    }), { numRuns: 400, seed: 81 });
    // Both sides of the rule were exercised: stops, and runs that reach the count without passing it.
    assert.ok(stops > 20, `only ${stops} stops`);
    assert.ok(atTheCount > 20, `only ${atTheCount} runs at the count`);
  });
});
