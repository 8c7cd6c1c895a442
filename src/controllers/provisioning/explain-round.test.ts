import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { PlannedNodeClaim } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { placementsOf } from '../decisions/placement.js';
import { provisionDecision, unschedulableDecision } from './explain-round.js';
import { PriceIndex } from './pricing.js';

const SMALL = instanceType('small', { price: 0.1, spotPrice: 0.03 });
const MEDIUM = instanceType('medium', { cpu: '4', price: 0.2 });

function planned(nodePoolName: string, pods = [pod({ name: 'a' })]): PlannedNodeClaim {
  return {
    hostname: 'hostname-placeholder-0000', nodePool: nodePoolName, requirements: [],
    instanceTypeOptions: [{ instanceType: SMALL, offerings: SMALL.offerings, price: 0.1 }, { instanceType: MEDIUM, offerings: MEDIUM.offerings, price: 0.2 }],
    pods, requests: {}, daemonSetOverhead: {}, pricePerHour: 0.1,
  };
}

describe('provisionDecision', () => {
  it('says what was launched, why that type, which pools were passed over, and the cost', () => {
    const pools = [
      { nodePool: nodePool({ name: 'spot', weight: 50 }), instanceTypes: [SMALL] },
      { nodePool: nodePool({ name: 'main', weight: 10 }), instanceTypes: [SMALL] },
      { nodePool: nodePool({ name: 'later', weight: 1 }), instanceTypes: [SMALL] },
    ];
    const d = provisionDecision({
      now: 42, launched: [{ name: 'main-x', planned: planned('main') }], existing: [{ node: 'n1', pods: [pod({ name: 'b' })] }],
      pools, skipped: [{ name: 'broken', reason: 'invalid: spec.weight: too big' }], costBefore: 1,
    });
    assert.equal(d.time, 42);
    assert.equal(d.summary, 'launched 1 NodeClaim for 1 pod; placed 1 pod on existing or in-flight capacity');
    assert.match(d.why, /^nodeclaim main-x \(nodepool main\): small at \$0\.1000\/h, the cheapest of 2 compatible instance types, for 1 pod; 1 pod fit on n1/);
    assert.deepEqual(d.alternativesRejected, [
      { option: 'medium for main-x', reason: '$0.2000/h, more than small at $0.1000/h' },
      { option: 'nodepool spot', reason: 'took none of these pods: its requirements, taints or limits rule them out' },
      { option: 'nodepool later', reason: 'comes after nodepool main in weight order, and that pool took the pods' },
      { option: 'nodepool broken', reason: 'invalid: spec.weight: too big' },
    ]);
    assert.equal(d.costPerHourBefore, 1);
    assert.equal(d.costPerHourAfter, 1.1);
    assert.equal(d.nodePool, 'main');
    assert.deepEqual(d.nodes, ['main-x']);
    assert.deepEqual(d.pods, ['default/a', 'default/b']);
    assert.deepEqual(placementsOf(d), [
      { node: 'main-x', pods: ['default/a'], launched: true },
      { node: 'n1', pods: ['default/b'], launched: false },
    ]);
  });
});

describe('unschedulableDecision', () => {
  it('splits the solver reason by NodePool and adds the skipped pools', () => {
    const d = unschedulableDecision(1, pod({ name: 'x' }), 'nodepool a has reached its node limit; nodepool b: no instance type fits', [{ name: 'c', reason: 'being deleted' }]);
    assert.equal(d.kind, 'unschedulable');
    assert.deepEqual(d.pods, ['default/x']);
    assert.deepEqual(d.alternativesRejected?.map((a) => a.option), ['nodepool a', 'nodepool b', 'nodepool c']);
  });

  it('keeps a too-small reason whole, under its NodePool', () => {
    const reason = 'no instance type in nodepool small is big enough: needs 100 cpu but the largest allowed has 900m, needs 8Gi memory but the largest allowed has 8182Mi';
    const d = unschedulableDecision(1, pod({ name: 'huge' }), reason, []);
    assert.deepEqual(d.alternativesRejected, [{ option: 'nodepool small', reason }]);
  });
});

describe('PriceIndex', () => {
  const prices = new PriceIndex([SMALL, MEDIUM]);
  const machine = (labels: Record<string, string>, o: Partial<StateNode> = {}): StateNode => ({ labels, deleting: false, ...o }) as StateNode;

  it('prices a machine by type, zone and capacity type, a claim in flight by its cheapest allowed type', () => {
    assert.equal(prices.machinePrice(machine({ 'node.kubernetes.io/instance-type': 'small', 'karpenter.sh/capacity-type': 'spot' })), 0.03);
    assert.equal(prices.machinePrice(machine({ 'node.kubernetes.io/instance-type': 'small', 'karpenter.sh/capacity-type': 'on-demand', 'topology.kubernetes.io/zone': 'zone-b' })), 0.1);
    const claim = { spec: { requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['medium', 'small'] }] } } as unknown as NodeClaim;
    assert.equal(prices.machinePrice(machine({}, { nodeClaim: claim })), 0.03);
    assert.equal(prices.machinePrice(machine({ 'node.kubernetes.io/instance-type': 'unknown' })), 0);
    assert.equal(prices.clusterCost([
      machine({ 'node.kubernetes.io/instance-type': 'medium' }),
      machine({ 'node.kubernetes.io/instance-type': 'medium' }, { deleting: true }),
    ]), 0.2);
  });

  it('is reused for the same instance type objects, and a new one prices changed offerings', () => {
    const first = PriceIndex.of([SMALL, MEDIUM]);
    assert.equal(PriceIndex.of([SMALL, MEDIUM]), first);
    const labels = { 'node.kubernetes.io/instance-type': 'small', 'karpenter.sh/capacity-type': 'spot' };
    assert.equal(first.machinePrice(machine(labels)), 0.03);
    const cheaper = { ...SMALL, offerings: SMALL.offerings.map((o) => ({ ...o, price: o.price / 2 })) };
    const second = PriceIndex.of([cheaper, MEDIUM]);
    assert.notEqual(second, first);
    assert.equal(second.machinePrice(machine(labels)), 0.015);
    assert.equal(first.machinePrice(machine(labels)), 0.03, 'an index keeps its own prices');
    assert.notEqual(PriceIndex.of([MEDIUM, SMALL]), second, 'another order is another list');
  });

  it('prices a list made from the last one (kept, removed, changed and new machines) as a fresh index does', () => {
    const types = ['small', 'medium', 'unknown'];
    const machineArb = fc.record({ type: fc.constantFrom(...types), spot: fc.boolean(), deleting: fc.boolean() })
      .map(({ type, spot, deleting }) => machine({ 'node.kubernetes.io/instance-type': type, 'karpenter.sh/capacity-type': spot ? 'spot' : 'on-demand' }, { deleting }));
    const stepArb = fc.array(fc.oneof(fc.constant('keep' as const), fc.constant('drop' as const), machineArb), { maxLength: 30 });
    fc.assert(fc.property(fc.array(machineArb, { maxLength: 30 }), fc.array(stepArb, { minLength: 1, maxLength: 5 }), (first, steps) => {
      const carried = new PriceIndex([SMALL, MEDIUM]);
      let list = first;
      assert.equal(carried.clusterCost(list), new PriceIndex([SMALL, MEDIUM]).clusterCost(list));
      for (const step of steps) {
        // Each step's entries take the last list's machines in order: keep one, drop one, or put a new one in.
        const next: StateNode[] = [];
        let at = 0;
        for (const s of step) {
          if (s === 'drop') at++;
          else if (s === 'keep') { if (at < list.length) next.push(list[at++]!); }
          else next.push(s);
        }
        list = [...next, ...list.slice(at)];
        assert.equal(carried.clusterCost(list), new PriceIndex([SMALL, MEDIUM]).clusterCost(list));
      }
    }), { numRuns: 300 });
  });
});
