/**
 * The quick test must never rule out a consolidation the solver would find: whenever it says
 * "impossible", the full simulation says "none".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod, Taint } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { scanCandidates } from './candidates.js';
import { PdbVerdicts } from './blockers.js';
import { simulateConsolidation } from './consolidation.js';
import { consolidationImpossible } from './consolidation-precheck.js';
import { SimulationBase } from './simulation-base.js';
import type { Candidate, PoolInfo } from './types.js';
import { candidatesPrice } from './types.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';

const TYPES: InstanceType[] = [
  instanceType('tiny', { cpu: '1', memory: '4Gi', price: 0.05, spotPrice: 0.02 }),
  instanceType('small', { cpu: '2', memory: '8Gi', price: 0.1, spotPrice: 0.07 }),
  instanceType('medium', { cpu: '4', memory: '16Gi', price: 0.2, spotPrice: 0.14 }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.28, unavailableZones: ['zone-b'] }),
];
const TAINT: Taint = { key: 'team', value: 'x', effect: 'NoSchedule' };

interface PodGen { cpu: number; selector: 'none' | 'spot' | 'on-demand'; tolerates: boolean }
interface MachineGen { type: number; spot: boolean; pool: number; pods: PodGen[] }
interface PoolGen { capacity: 'any' | 'spot' | 'on-demand'; tainted: boolean; weight: number; bigOnly: boolean }
interface World { pools: PoolGen[]; machines: MachineGen[]; spotToSpot: boolean; maxReplacements: number; pairs: [number, number][] }

const worldGen: fc.Arbitrary<World> = fc.record({
  pools: fc.array(fc.record({ capacity: fc.constantFrom('any' as const, 'spot' as const, 'on-demand' as const), tainted: fc.boolean(), weight: fc.integer({ min: 1, max: 3 }), bigOnly: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  spotToSpot: fc.boolean(),
  maxReplacements: fc.constantFrom(1, 3),
}).chain(({ pools, spotToSpot, maxReplacements }) => fc.record({
  pools: fc.constant(pools),
  spotToSpot: fc.constant(spotToSpot),
  maxReplacements: fc.constant(maxReplacements),
  machines: fc.array(fc.record({
    type: fc.integer({ min: 0, max: TYPES.length - 1 }),
    spot: fc.boolean(),
    pool: fc.integer({ min: 0, max: pools.length - 1 }),
    pods: fc.array(fc.record({
      cpu: fc.integer({ min: 1, max: 30 }).map((n) => n * 100),
      selector: fc.constantFrom('none' as const, 'none' as const, 'spot' as const, 'on-demand' as const),
      tolerates: fc.boolean(),
    }), { maxLength: 5 }),
  }), { minLength: 1, maxLength: 7 }),
})).chain((w) => fc.record({
  pools: fc.constant(w.pools), spotToSpot: fc.constant(w.spotToSpot), maxReplacements: fc.constant(w.maxReplacements), machines: fc.constant(w.machines),
  pairs: fc.array(fc.tuple(fc.integer({ min: 0, max: w.machines.length - 1 }), fc.integer({ min: 0, max: w.machines.length - 1 })), { maxLength: 3 }),
}));

/** Each machine alone and each drawn pair, as candidates, where every machine is a candidate with pods to move. */
function candidateSets(w: World, candidates: ReadonlyMap<string, Candidate>): Candidate[][] {
  const sets = [...w.machines.keys()].map((i) => [i]).concat(w.pairs.filter(([a, b]) => a !== b));
  const out: Candidate[][] = [];
  for (const set of sets) {
    const cs = set.map((i) => candidates.get(`n${i}`)).filter((c): c is Candidate => c !== undefined && c.reschedulablePods.length > 0);
    if (cs.length === set.length) out.push(cs);
  }
  return out;
}

function build(w: World): { base: SimulationBase; candidates: Map<string, Candidate> } {
  const clock = new VirtualClock();
  const state = new ClusterState({ clock });
  const pools = new Map<string, PoolInfo>();
  w.pools.forEach((g, i) => {
    const np = nodePool({
      name: `p${i}`, weight: g.weight, taints: g.tainted ? [TAINT] : undefined,
      requirements: [
        ...(g.capacity === 'any' ? [] : [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: [g.capacity] }]),
        ...(g.bigOnly ? [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['medium', 'large'] }] : []),
      ],
    });
    pools.set(`p${i}`, { name: `p${i}`, nodePool: withDefaults(np), instanceTypes: TYPES, typesByName: new Map(TYPES.map((t) => [t.name, t])) });
  });
  w.machines.forEach((m, i) => {
    const t = TYPES[m.type]!;
    const name = `n${i}`;
    const labels = {
      'karpenter.sh/nodepool': `p${m.pool}`, 'node.kubernetes.io/instance-type': t.name, 'topology.kubernetes.io/zone': 'zone-a',
      'karpenter.sh/capacity-type': m.spot ? 'spot' : 'on-demand', 'kubernetes.io/hostname': name, 'karpenter.sh/initialized': 'true',
    };
    const q = { cpu: String(t.capacity.cpu! / 1000), memory: String(t.capacity.memory), pods: '110' };
    const claim: NodeClaim = { metadata: { name, labels }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } }, status: { providerID: `p://${name}`, nodeName: name, capacity: q, allocatable: q } };
    const taints = w.pools[m.pool]!.tainted ? [TAINT] : undefined;
    const node: Node = { metadata: { name, labels }, spec: { providerID: `p://${name}`, taints }, status: { capacity: q, allocatable: q, conditions: [{ type: 'Ready', status: 'True' }] } };
    state.apply('NodeClaim', claim);
    state.apply('Node', node);
    m.pods.forEach((g, j) => {
      const p = pod({
        name: `${name}-${j}`, cpu: `${g.cpu}m`, memory: '512Mi', nodeName: name,
        nodeSelector: g.selector === 'none' ? undefined : { 'karpenter.sh/capacity-type': g.selector },
        tolerations: g.tolerates ? [{ key: 'team', operator: 'Exists' }] : undefined,
      });
      p.status = { phase: 'Running' };
      state.apply('Pod', p);
    });
  });
  const snapshot = state.snapshot();
  const scan = scanCandidates(snapshot.stateNodes, pools, PdbVerdicts.of([]), clock.now());
  const base = new SimulationBase({ snapshot, pools, pending: [], candidatePods: scan.candidates.flatMap((c) => c.reschedulablePods) });
  return { base, candidates: new Map(scan.candidates.map((c) => [c.nodeName, c])) };
}

/** The base over copies of its pools: nothing the precheck keeps per pool carries to them. */
function freshPools(base: SimulationBase): SimulationBase {
  const pools = new Map([...base.pools].map(([name, info]) => [name, { ...info }]));
  return new SimulationBase({ snapshot: base.snapshot, pools, pending: base.pending, candidatePods: base.snapshot.stateNodes.flatMap((n) => n.pods) });
}

describe('consolidationImpossible', () => {
  it('answers the same from what it keeps per pool as from scratch, whatever it was asked before', () => {
    fc.assert(fc.property(worldGen, (w) => {
      const { base, candidates } = build(w);
      const all = [...candidates.values()].filter((c) => c.reschedulablePods.length > 0);
      // Asked about every candidate with spot-to-spot on and off, so each pool's view holds both price lists.
      const asked = (spotToSpot: boolean, b: SimulationBase): (string | undefined)[] =>
        all.map((c) => consolidationImpossible(b, [c], candidatesPrice([c]), { spotToSpot, maxReplacements: w.maxReplacements }));
      const warm = [asked(true, base), asked(false, base), asked(!w.spotToSpot, base), asked(w.spotToSpot, base)];
      assert.deepEqual(warm, [asked(true, freshPools(base)), asked(false, freshPools(base)), asked(!w.spotToSpot, freshPools(base)), asked(w.spotToSpot, freshPools(base))]);
    }), { numRuns: 100 });
  });

  it('names the pods that ask for more than any other node has free, pod by pod', () => {
    let named = 0;
    fc.assert(fc.property(worldGen, (w) => {
      const { base, candidates } = build(w);
      for (const cs of candidateSets(w, candidates)) {
        const free = base.maxFree(new Set(cs.flatMap((c) => [c.nodeName, c.claimName])));
        const homeless = cs.flatMap((c) => c.reschedulablePods).filter((p: Pod) => {
          const r = safePodRequests(p);
          return (r[CPU] ?? 0) > free.cpu || (r[MEMORY] ?? 0) > free.memory || (r[PODS] ?? 0) > free.pods;
        });
        // Asked twice: the second answer comes from what the first kept.
        for (let k = 0; k < 2; k++) {
          const why = consolidationImpossible(base, cs, candidatesPrice(cs), { spotToSpot: w.spotToSpot, maxReplacements: w.maxReplacements });
          if (homeless.length === 0) assert.equal(why, undefined);
          else if (why !== undefined) {
            named++;
            const more = homeless.length > 1 ? ` (and ${homeless.length - 1} more)` : '';
            assert.ok(why.startsWith(`pod ${keyOf(homeless[0]!)}${more} fits on no other node`), why);
          }
        }
      }
    }), { numRuns: 200 });
    assert.ok(named > 0, 'no answer named pods: this test checks nothing');
  });

  it('only rules out what the simulation rules out', () => {
    let ruledOut = 0;
    let checked = 0;
    fc.assert(fc.property(worldGen, (w) => {
      const { base, candidates } = build(w);
      for (const cs of candidateSets(w, candidates)) {
        checked++;
        const settings = { spotToSpot: w.spotToSpot, maxReplacements: w.maxReplacements };
        const why = consolidationImpossible(base, cs, candidatesPrice(cs), settings);
        if (why === undefined) continue;
        ruledOut++;
        const method = cs.length > 1 ? 'multi-node-consolidation' : 'single-node-consolidation';
        const sim = simulateConsolidation(base, cs, method, settings);
        assert.equal(sim.decision, 'none', `ruled out (${why}) but the solver says ${sim.decision}`);
      }
    }), { numRuns: 300 });
    assert.ok(ruledOut > checked / 10, `the quick test ruled out ${ruledOut} of ${checked}: too few for this test to mean much`);
  });
});
