import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';
import type { StateNode } from '../../state/state-node.js';
import { pod } from '../../test/builders.js';
import { PlanBook } from './plan-book.js';
import { prepareRound } from './round-input.js';

/** A few names shared by Nodes, NodeClaims, plan targets and unseen claims, so they collide. */
const NAMES = ['a', 'b', 'c', 'd', 'e'];
const nameArb = fc.constantFrom(...NAMES);

const machineArb = fc.record({
  nodeName: fc.option(nameArb, { nil: undefined }),
  nodeClaimName: fc.option(nameArb, { nil: undefined }),
  inFlight: fc.boolean(),
  deleting: fc.boolean(),
  initialized: fc.boolean(),
  cordoned: fc.boolean(),
}).filter((m) => m.nodeName !== undefined || m.nodeClaimName !== undefined);

const caseArb = fc.record({
  machines: fc.array(machineArb, { maxLength: 6 }),
  plans: fc.array(fc.record({ pod: fc.integer({ min: 0, max: 5 }), target: nameArb }), { maxLength: 8 }),
  reserves: fc.uniqueArray(nameArb, { maxLength: 3 }),
  unseen: fc.uniqueArray(nameArb, { maxLength: 2 }),
  binding: fc.constantFrom('scheduler' as const, 'direct' as const),
});

type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

function build(c: Case): { snapshot: ClusterSnapshot; plan: PlanBook; unseen: NodeClaim[] } {
  const pods: Pod[] = Array.from({ length: 6 }, (_, i) => pod({ name: `p${i}` }));
  const stateNodes = c.machines.map((m, i): StateNode => ({
    ...m, name: m.nodeName ?? m.nodeClaimName, markedForDeletion: m.deleting, disrupted: false,
    daemonSetRequested: { cpu: i % 2 === 0 ? 100 : 0 },
  }) as unknown as StateNode);
  const solverNodes = stateNodes.map((sn): SolverNode => ({ name: sn.name, labels: {}, taints: [], allocatable: { cpu: 4000 }, pods: [] }));
  const snapshot = { stateNodes, solverNodes, pendingPods: pods, unboundPods: pods, reschedulablePods: [] } as unknown as ClusterSnapshot;
  const plan = new PlanBook();
  for (const p of c.plans) plan.plan([pods[p.pod]!], p.target, 0);
  for (const r of c.reserves) plan.reserveDaemonOverhead(r, { cpu: 300 });
  const unseen = c.unseen.map((name) => ({ metadata: { name }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } } }));
  return { snapshot, plan, unseen };
}

/** What a round's input was when every state node's names were put in one map (the model). */
function modelByName(stateNodes: readonly StateNode[]): Map<string, StateNode> {
  const byName = new Map<string, StateNode>();
  for (const sn of stateNodes) {
    if (sn.nodeName !== undefined) byName.set(sn.nodeName, sn);
    if (sn.nodeClaimName !== undefined) byName.set(sn.nodeClaimName, sn);
  }
  return byName;
}

describe('prepareRound', () => {
  it('changes the nodes a map of every state node name would pick, and only those (property)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { snapshot, plan, unseen } = build(c);
      const before = plan.targets();
      const input = prepareRound(snapshot, plan, c.binding, unseen);
      const byName = modelByName(snapshot.stateNodes);
      snapshot.solverNodes.forEach((node, i) => {
        const sn = byName.get(node.name);
        const changed = input.nodes[i] !== node;
        // A node is rebuilt only for the machine its name maps to, and only when the plan names that
        // machine (pods planned onto it, or room kept on it).
        if (changed) {
          assert.ok(sn !== undefined, `${node.name} rebuilt without a machine`);
          assert.ok(before.includes(sn.nodeName ?? '') || before.includes(sn.nodeClaimName ?? ''));
        }
        if (sn === undefined) return;
        const planned = [sn.nodeClaimName, sn.nodeName !== sn.nodeClaimName ? sn.nodeName : undefined]
          .reduce((n, t) => n + (t === undefined ? 0 : plan.onTarget(t).length), 0);
        assert.equal(input.nodes[i]!.pods.length, planned, `pods planned onto ${node.name}`);
        // An in-flight machine keeps room for the DaemonSet pods not bound yet (300 m reserved).
        const reserved = sn.inFlight && plan.daemonOverhead(sn.nodeClaimName ?? sn.name) !== undefined ? 300 - (sn.daemonSetRequested.cpu ?? 0) : 0;
        assert.equal(input.nodes[i]!.allocatable.cpu, 4000 - reserved, `room kept on ${node.name}`);
      });
      // Unseen claims the snapshot shows under either name are not added again.
      const shown = unseen.filter((u) => byName.has(u.metadata.name!)).length;
      assert.equal(input.nodes.length, snapshot.solverNodes.length + unseen.length - shown);
      for (const target of before) {
        const sn = byName.get(target);
        const pending = unseen.some((u) => u.metadata.name === target) && sn === undefined;
        if (!pending && (sn === undefined || sn.deleting)) assert.equal(plan.plannedOnto(target), 0, `${target} forgotten`);
      }
    }), { numRuns: 500 });
  });
});
