/** The consolidation simulation does not rest a decision on machines that are not initialised yet. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { subtractResources } from '../../utils/resources.js';
import { scanCandidates } from './candidates.js';
import { PdbVerdicts } from './blockers.js';
import type { VerdictMemo } from './consolidation-methods.js';
import { ConsolidationOrder, singleNodeConsolidation } from './consolidation-methods.js';
import { computeConsolidation, simulateConsolidation } from './consolidation.js';
import type { MethodContext } from './method-context.js';
import { leastRequests, otherPods, relieved, SimulationBase } from './simulation-base.js';
import { ownPods, simulate, simulationPods } from './simulation.js';
import type { PoolInfo } from './types.js';

const TYPES = [instanceType('small', { cpu: '2', memory: '8Gi', price: 0.1 }), instanceType('medium', { cpu: '4', memory: '16Gi', price: 0.2 })];

/** Machine `a` (small, one 500m pod) and machine `b` (medium, empty): a NodeClaim only while in flight. */
function world(bInitialized: boolean, bPodOf?: 'deleting-a'): { base: SimulationBase; state: ClusterState } {
  const clock = new VirtualClock();
  const state = new ClusterState({ clock });
  const np = nodePool();
  const machine = (name: string, type: string, cpu: string, withNode: boolean): void => {
    const labels: Record<string, string> = {
      'karpenter.sh/nodepool': 'default', 'node.kubernetes.io/instance-type': type, 'topology.kubernetes.io/zone': 'zone-a',
      'karpenter.sh/capacity-type': 'on-demand', 'kubernetes.io/hostname': name,
    };
    if (withNode) labels['karpenter.sh/initialized'] = 'true';
    const q = { cpu, memory: '8Gi', pods: '110' };
    const claim: NodeClaim = {
      metadata: { name, labels }, spec: { requirements: [], nodeClassRef: np.spec.template.spec.nodeClassRef },
      status: { providerID: `p://${name}`, ...(withNode ? { nodeName: name } : {}), capacity: q, allocatable: q },
    };
    state.apply('NodeClaim', claim);
    if (!withNode) return;
    const node: Node = {
      metadata: { name, labels, creationTimestamp: '2023-12-31T00:00:00Z' }, spec: { providerID: `p://${name}` },
      status: { capacity: q, allocatable: q, conditions: [{ type: 'Ready', status: 'True' }] },
    };
    state.apply('Node', node);
  };
  machine('a', 'small', '2', true);
  machine('b', 'medium', '4', bInitialized);
  const p = pod({ name: 'a-0', cpu: '500m', nodeName: 'a' });
  p.status = { phase: 'Running' };
  state.apply('Pod', p);
  if (bPodOf === 'deleting-a') state.markForDeletion('a');
  const pool: PoolInfo = { name: 'default', nodePool: withDefaults(np), instanceTypes: TYPES, typesByName: new Map(TYPES.map((t) => [t.name, t])) };
  const pools = new Map([['default', pool]]);
  const snapshot = state.snapshot();
  const scan = scanCandidates(snapshot.stateNodes, pools, PdbVerdicts.of([]), clock.now());
  return { state, base: new SimulationBase({ snapshot, pools, pending: [], candidatePods: scan.candidates.flatMap((c) => c.reschedulablePods) }) };
}

function candidateA(base: SimulationBase): ReturnType<typeof scanCandidates>['candidates'][number] {
  const scan = scanCandidates(base.snapshot.stateNodes, base.pools, PdbVerdicts.of([]), base.snapshot.takenAt);
  const a = scan.candidates.find((c) => c.nodeName === 'a');
  assert.ok(a, 'a is a candidate');
  return a;
}

describe('consolidation simulation and machines not initialised yet', () => {
  it('does not delete a node whose pods would only fit on an in-flight machine', () => {
    const { base } = world(false);
    const simulated = simulateConsolidation(base, [candidateA(base)], 'single-node-consolidation', { spotToSpot: false });
    assert.equal(simulated.decision, 'none');
    assert.match(simulated.decision === 'none' ? simulated.reason : '', /uninitialized node b/);
    // The precheck agrees without the solver: no initialised node has room for the pod.
    assert.equal(base.maxFree(new Set(['a'])).cpu, -Infinity);
    assert.equal(computeConsolidation(base, [candidateA(base)], 'single-node-consolidation', { spotToSpot: false }).decision, 'none');
  });

  it('deletes it once that machine is initialised', () => {
    const { base } = world(true);
    assert.ok(base.maxFree(new Set(['a'])).cpu >= 4000);
    const outcome = computeConsolidation(base, [candidateA(base)], 'single-node-consolidation', { spotToSpot: false });
    assert.equal(outcome.decision, 'delete');
  });

  it('lets pods of machines already going away count on an in-flight machine', () => {
    const { base } = world(false, 'deleting-a');
    assert.equal(base.snapshot.reschedulablePods.length, 1);
    const sim = simulate(base, []);
    assert.deepEqual(sim.failures, []);
    assert.equal(sim.placedOnExisting, 1);
  });
});

describe('single-node consolidation verdicts', () => {
  const memo = (m: Map<string, string>): VerdictMemo => ({ get: (c) => m.get(c.claimName), set: (c, r) => void m.set(c.claimName, r) });
  const context = (base: SimulationBase): MethodContext => ({
    now: 0,
    candidates: [{ ...candidateA(base), consolidatable: true }],
    budgets: () => new Map([['default', { nodePool: 'default', reason: 'Underutilized', total: 2, disrupting: 0, limit: Infinity, budget: undefined, allowed: 1 }]]),
    base: () => base,
    settings: { spotToSpot: false },
    deadline: Infinity,
    nowMs: () => 0,
  });

  it('records why a candidate was turned down', () => {
    const { base } = world(false);
    const known = new Map<string, string>();
    const result = singleNodeConsolidation(context(base), new ConsolidationOrder(), memo(known));
    assert.equal(result.command, undefined);
    assert.deepEqual([...known.keys()], ['a']);
    assert.equal(result.rejections[0]?.reason, known.get('a'));
  });

  it('does not simulate a candidate it has a verdict for, and simulates it without one', () => {
    const { base } = world(true);
    const held = singleNodeConsolidation(context(base), new ConsolidationOrder(), memo(new Map([['a', 'turned down before']])));
    assert.equal(held.command, undefined);
    assert.equal(held.rejections[0]?.reason, 'turned down before');
    assert.equal(singleNodeConsolidation(context(base), new ConsolidationOrder(), memo(new Map())).command?.kind, 'consolidate-delete');
  });
});

describe('the pods a simulation places', () => {
  /** What a simulation placed before otherPods: one map of every pod that must move, by key. */
  function fromScratch(own: ReadonlyMap<string, Pod>, going: readonly Pod[], pending: readonly Pod[]): { pods: Pod[]; moving: Set<Pod> } {
    const mustMove = new Map(own);
    for (const p of going) mustMove.set(keyOf(p), p);
    const pods = [...mustMove.values()];
    for (const p of pending) if (!mustMove.has(keyOf(p))) pods.push(p);
    return { pods, moving: new Set(pods.filter((p) => mustMove.has(keyOf(p)))) };
  }

  // Few names, so that leaving, going and pending pods often share keys.
  const podsGen = fc.array(fc.record({ name: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5'), cpu: fc.integer({ min: 1, max: 9 }) }), { maxLength: 5 });
  const make = (g: { name: string; cpu: number }[]): Pod[] => g.map(({ name, cpu }) => pod({ name, cpu: `${cpu}00m` }));

  it('of leaving machines are their pods in order, one per key (its last pod at its first place), kept per list', () => {
    fc.assert(fc.property(fc.array(podsGen, { minLength: 1, maxLength: 4 }), fc.nat(3), (gens, again) => {
      const lists = gens.map(make);
      // Some lists asked for alone first, so that the merge reads kept ones.
      for (const list of lists.slice(0, again)) ownPods([{ reschedulablePods: list }]);
      const got = ownPods(lists.map((reschedulablePods) => ({ reschedulablePods })));
      const expected = new Map<string, Pod>();
      for (const list of lists) for (const p of list) expected.set(keyOf(p), p);
      assert.deepEqual([...got.byKey], [...expected]);
      for (const [key, p] of got.byKey) assert.equal(p, expected.get(key));
      assert.deepEqual(got.pods, [...expected.values()]);
      assert.deepEqual([...got.set], [...expected.values()]);
      assert.deepEqual(got.least, leastRequests([...expected.values()]));
    }), { numRuns: 500 });
  });

  it('are the leaving, going and pending pods in that order, one per key, whichever keys they share', () => {
    fc.assert(fc.property(podsGen, podsGen, podsGen, (ownGen, goingGen, pendingGen) => {
      const ownList = make(ownGen);
      const own = new Map(ownList.map((p) => [keyOf(p), p]));
      const going = make(goingGen);
      const pending = make(pendingGen);
      const got = simulationPods(ownPods([{ reschedulablePods: ownList }]), going, pending, otherPods(going, pending));
      const expected = fromScratch(own, going, pending);
      assert.deepEqual(got.pods, expected.pods);
      for (let i = 0; i < got.pods.length; i++) assert.equal(got.pods[i], expected.pods[i]);
      assert.deepEqual(got.pods.map(got.moving), expected.pods.map((p) => expected.moving.has(p)));
      assert.deepEqual(got.least, leastRequests(expected.pods));
    }), { numRuns: 500 });
  });

  it('relieve a pool of a machine as subtracting its capacity and one node does, keys in the same order', () => {
    const list = fc.dictionary(fc.constantFrom('cpu', 'memory', 'pods', 'nodes', 'example.com/gpu'), fc.integer({ min: 0, max: 100 }));
    fc.assert(fc.property(list, list, (usage, capacity) => {
      const got = relieved(usage, capacity);
      const expected = subtractResources(usage, { ...capacity, nodes: 1 });
      assert.deepEqual(got, expected);
      assert.deepEqual(Object.keys(got), Object.keys(expected));
    }), { numRuns: 500 });
  });
});
