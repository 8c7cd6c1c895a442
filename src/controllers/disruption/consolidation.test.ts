/** computeConsolidation's decisions on hand-built cluster states: prices, spot rules, same-type filter. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { scanCandidates } from './candidates.js';
import { PdbVerdicts } from './blockers.js';
import { computeConsolidation, MIN_SPOT_TO_SPOT_OPTIONS, simulateConsolidation } from './consolidation.js';
import { TEST_TYPES } from './fixtures.js';
import { withoutSameType } from './replacement-options.js';
import { SimulationBase } from './simulation-base.js';
import type { Candidate, PoolInfo } from './types.js';

interface Machine { name: string; type: string; capacityType: 'spot' | 'on-demand'; cpu: string; pods: string[] }

function world(machines: Machine[], types: readonly InstanceType[], np: NodePool = nodePool()): { base: SimulationBase; candidates: Map<string, Candidate> } {
  const clock = new VirtualClock();
  const state = new ClusterState({ clock });
  for (const m of machines) {
    const labels = {
      'karpenter.sh/nodepool': 'default', 'node.kubernetes.io/instance-type': m.type, 'topology.kubernetes.io/zone': 'zone-a',
      'karpenter.sh/capacity-type': m.capacityType, 'kubernetes.io/hostname': m.name, 'karpenter.sh/initialized': 'true',
    };
    const q = { cpu: m.cpu, memory: '32Gi', pods: '110' };
    const claim: NodeClaim = { metadata: { name: m.name, labels }, spec: { requirements: [], nodeClassRef: np.spec.template.spec.nodeClassRef }, status: { providerID: `p://${m.name}`, nodeName: m.name, capacity: q, allocatable: q } };
    const node: Node = { metadata: { name: m.name, labels, creationTimestamp: '2023-12-31T00:00:00Z' }, spec: { providerID: `p://${m.name}` }, status: { capacity: q, allocatable: q, conditions: [{ type: 'Ready', status: 'True' }] } };
    state.apply('NodeClaim', claim);
    state.apply('Node', node);
    m.pods.forEach((cpu, i) => {
      const p = pod({ name: `${m.name}-${i}`, cpu, nodeName: m.name });
      p.status = { phase: 'Running' };
      state.apply('Pod', p);
    });
  }
  const pool: PoolInfo = { name: 'default', nodePool: withDefaults(np), instanceTypes: types, typesByName: new Map(types.map((t) => [t.name, t])) };
  const pools = new Map([['default', pool]]);
  const snapshot = state.snapshot();
  const scan = scanCandidates(snapshot.stateNodes, pools, PdbVerdicts.of([]), clock.now());
  assert.deepEqual(scan.blocked, []);
  const base = new SimulationBase({ snapshot, pools, pending: [], candidatePods: scan.candidates.flatMap((c) => c.reschedulablePods) });
  return { base, candidates: new Map(scan.candidates.map((c) => [c.nodeName, c])) };
}

/** `n` two-cpu types whose spot prices climb from 0.01 by 0.01 (on-demand twice that). */
const ladder = (n: number): InstanceType[] => Array.from({ length: n }, (_, i) =>
  instanceType(`t${String(i + 1).padStart(2, '0')}`, { cpu: '2', memory: '8Gi', price: 0.02 * (i + 1), spotPrice: 0.01 * (i + 1), zones: ['zone-a'] }));

const off = { spotToSpot: false };
const on = { spotToSpot: true };

describe('computeConsolidation', () => {
  it('deletes when every pod fits on other nodes', () => {
    const { base, candidates } = world([
      { name: 'a', type: 'small', capacityType: 'on-demand', cpu: '2', pods: ['500m'] },
      { name: 'b', type: 'medium', capacityType: 'on-demand', cpu: '4', pods: ['1'] },
    ], TEST_TYPES);
    const out = computeConsolidation(base, [candidates.get('a')!], 'single-node-consolidation', off);
    assert.equal(out.decision, 'delete');
  });

  it('turns down a replacement that needs more than one new node', () => {
    const { base, candidates } = world([{ name: 'a', type: 'large', capacityType: 'on-demand', cpu: '8', pods: ['1500m', '1500m', '1500m', '1500m'] }],
      [instanceType('tiny', { cpu: '2', memory: '8Gi', price: 0.05 }), instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4 })]);
    const a = candidates.get('a')!;
    assert.deepEqual(simulateConsolidation(base, [a], 'single-node-consolidation', off), { decision: 'none', reason: 'its pods would need 4 new nodes, and consolidation replaces with at most 1 node' });
    // As a verdict the simulation stops at the second new node, and says only that.
    assert.deepEqual(simulateConsolidation(base, [a], 'single-node-consolidation', off, [], 'verdict'),
      { decision: 'none', reason: 'its pods would need more than 1 new node, or some would find no place', stopped: true });
    // The quick test sees it too: no type cheaper than the large node holds all four pods.
    assert.deepEqual(computeConsolidation(base, [a], 'single-node-consolidation', off), {
      decision: 'none', reason: 'pod default/a-0 (and 3 more) fits on no other node, and the cheapest instance type that holds them costs $0.4000/h, not less than $0.4000/h',
    });
  });

  it('replaces one node with several cheaper ones when allowed, each kept below its share of the price', () => {
    const types = [instanceType('tiny', { cpu: '2', memory: '8Gi', price: 0.04 }), instanceType('mid', { cpu: '2', memory: '8Gi', price: 0.048 }),
      instanceType('dear', { cpu: '2', memory: '8Gi', price: 0.051 }), instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4 })];
    const machines: Machine[] = [{ name: 'a', type: 'large', capacityType: 'on-demand', cpu: '8', pods: ['1500m', '1500m', '1500m', '1500m'] }];
    const { base, candidates } = world(machines, types);
    const a = candidates.get('a')!;
    const out = computeConsolidation(base, [a], 'single-node-consolidation', { spotToSpot: false, maxReplacements: 4 });
    assert.equal(out.decision, 'replace');
    if (out.decision !== 'replace') return;
    assert.equal(out.command.replacements.length, 4);
    // Four tiny nodes cost 0.16; a split may take half of the 0.40, so each may cost up to 0.05: mid (0.048) stays an option.
    for (const r of out.command.replacements) assert.deepEqual(r.instanceTypeOptions.map((o) => o.instanceType.name), ['tiny', 'mid']);
    assert.match(out.command.why, /saves \$0\.2400\/h/);
    // Four new nodes are allowed here: the verdict runs to the end and gives the same command.
    assert.deepEqual(computeConsolidation(base, [a], 'single-node-consolidation', { spotToSpot: false, maxReplacements: 4 }, [], 'verdict'), out);
    assert.deepEqual(computeConsolidation(base, [a], 'single-node-consolidation', { spotToSpot: false, maxReplacements: 3 }),
      { decision: 'none', reason: 'its pods would need 4 new nodes, and consolidation replaces with at most 3 nodes' });
    // New nodes that together cost no less than half the node: turned down, by the quick test already.
    const dear = world(machines, [instanceType('tiny', { cpu: '2', memory: '8Gi', price: 0.21 }), types[3]!]);
    const d = dear.candidates.get('a')!;
    assert.deepEqual(computeConsolidation(dear.base, [d], 'single-node-consolidation', { spotToSpot: false, maxReplacements: 4 }),
      { decision: 'none', reason: 'pod default/a-0 (and 3 more) fits on no other node, and the cheapest instance type that holds them costs $0.4000/h, not less than $0.4000/h; several new nodes would cost at least $0.3000/h, not under half of $0.4000/h' });
    assert.deepEqual(simulateConsolidation(dear.base, [d], 'single-node-consolidation', { spotToSpot: false, maxReplacements: 4 }),
      { decision: 'none', reason: 'the cheapest replacement that fits its pods costs $0.4000/h, not less than the $0.4000/h of a' });
  });

  it('keeps multi-node consolidation to one replacement whatever the setting', () => {
    const types = [instanceType('tiny', { cpu: '2', memory: '8Gi', price: 0.05 }), instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4 })];
    const { base, candidates } = world([
      { name: 'a', type: 'large', capacityType: 'on-demand', cpu: '8', pods: ['1500m', '1500m'] },
      { name: 'b', type: 'large', capacityType: 'on-demand', cpu: '8', pods: ['1500m', '1500m'] },
    ], types);
    const out = simulateConsolidation(base, [candidates.get('a')!, candidates.get('b')!], 'multi-node-consolidation', { spotToSpot: false, maxReplacements: 4 });
    assert.deepEqual(out, { decision: 'none', reason: 'its pods would need 4 new nodes, and consolidation replaces with at most 1 node' });
    assert.equal(simulateConsolidation(base, [candidates.get('a')!, candidates.get('b')!], 'multi-node-consolidation', { spotToSpot: false, maxReplacements: 4 }, [], 'verdict').decision, 'none');
  });

  it('pins an on-demand node\'s replacement to spot when spot is allowed, and keeps on-demand when it is not', () => {
    const m: Machine[] = [{ name: 'a', type: 'large', capacityType: 'on-demand', cpu: '8', pods: ['1'] }];
    const flexible = world(m, TEST_TYPES);
    const out = computeConsolidation(flexible.base, [flexible.candidates.get('a')!], 'single-node-consolidation', off);
    assert.equal(out.decision, 'replace');
    if (out.decision !== 'replace') return;
    const r = out.command.replacements[0]!;
    assert.deepEqual(r.requirements.find((q) => q.key === 'karpenter.sh/capacity-type')?.values, ['spot']);
    assert.equal(r.pricePerHour, 0.07);
    assert.ok(r.instanceTypeOptions.every((o) => o.offerings.every((x) => x.capacityType === 'spot')));
    const np = nodePool({ requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }] });
    const strict = world(m, TEST_TYPES, np);
    const out2 = computeConsolidation(strict.base, [strict.candidates.get('a')!], 'single-node-consolidation', off);
    assert.equal(out2.decision, 'replace');
    if (out2.decision === 'replace') {
      assert.equal(out2.command.replacements[0]!.pricePerHour, 0.1);
      assert.deepEqual(out2.command.replacements[0]!.requirements.find((q) => q.key === 'node.kubernetes.io/instance-type')?.values, ['small', 'medium'], 'only types cheaper than the large node');
    }
  });

  it('replaces spot with spot only when enabled, and with at least 15 cheaper spot types (keeping 15)', () => {
    const m = (type: string): Machine[] => [{ name: 'a', type, capacityType: 'spot', cpu: '2', pods: ['500m'] }];
    const types = ladder(30);
    const expensive = world(m('t30'), types);
    const c = expensive.candidates.get('a')!;
    assert.equal(c.price, 0.3);
    assert.match((computeConsolidation(expensive.base, [c], 'single-node-consolidation', off) as { reason: string }).reason, /spot-to-spot consolidation is off/);
    const out = computeConsolidation(expensive.base, [c], 'single-node-consolidation', on);
    assert.equal(out.decision, 'replace');
    if (out.decision === 'replace') {
      const r = out.command.replacements[0]!;
      assert.equal(r.instanceTypeOptions.length, MIN_SPOT_TO_SPOT_OPTIONS);
      assert.equal(r.pricePerHour, 0.01);
      assert.deepEqual(r.requirements.find((q) => q.key === 'karpenter.sh/capacity-type')?.values, ['spot']);
    }
    const cheapish = world(m('t10'), types);
    const why = computeConsolidation(cheapish.base, [cheapish.candidates.get('a')!], 'single-node-consolidation', on);
    assert.deepEqual(why, { decision: 'none', reason: 'spot-to-spot needs 15 cheaper spot instance types to keep the node flexible, found 9' });
  });

  it('multi-node: a replacement of a candidate\'s own type must be cheaper than that candidate', () => {
    const { base, candidates } = world([
      { name: 'a', type: 'medium', capacityType: 'on-demand', cpu: '4', pods: ['1'] },
      { name: 'b', type: 'medium', capacityType: 'on-demand', cpu: '4', pods: ['1'] },
    ], TEST_TYPES, nodePool({ requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }] }));
    const both = [candidates.get('a')!, candidates.get('b')!];
    const out = computeConsolidation(base, both, 'multi-node-consolidation', off);
    // Both pods (2 cpu) fit a small (0.1) — cheaper than a medium, so medium is filtered out by price anyway.
    assert.equal(out.decision, 'replace');
    if (out.decision === 'replace') assert.deepEqual(out.command.replacements[0]!.instanceTypeOptions.map((o) => o.instanceType.name), ['small']);
    const opts = [TEST_TYPES[0]!, TEST_TYPES[1]!, TEST_TYPES[2]!].map((t) => ({ instanceType: t, offerings: t.offerings, price: t.offerings[0]!.price }));
    assert.deepEqual(withoutSameType(opts, both).map((o) => o.instanceType.name), ['small'], 'medium is a candidate type: options must be under its 0.2');
    assert.deepEqual(withoutSameType(opts.slice(2), both).map((o) => o.instanceType.name), ['large'], 'no candidate type among the options: no limit');
  });

  it('refuses candidates whose offering has no price', () => {
    const { base, candidates } = world([{ name: 'a', type: 'gone', capacityType: 'on-demand', cpu: '2', pods: ['1'] }], TEST_TYPES);
    assert.match((computeConsolidation(base, [candidates.get('a')!], 'single-node-consolidation', off) as { reason: string }).reason, /not in the catalogue/);
  });
});
