/**
 * Property: after any sequence of informer writes (nodes and claims joining, re-keying, leaving;
 * pods binding, moving, finishing, leaving), the incrementally kept sums and sets equal the same
 * figures computed from scratch. ProviderIDs are unique per machine, as in a real cluster: node i
 * and claim i may share pid-i (and then join), nothing else does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod } from '../apis/core.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { podRequests } from '../scheduling/pod-requests.js';
import { VirtualClock } from '../utils/clock.js';
import { addResources, resourcesFromQuantities } from '../utils/resources.js';
import type { ResourceList } from '../utils/resources.js';
import { ClusterState } from './cluster-state.js';
import { isProvisionable, isTerminal, isUnbound } from './pod-predicates.js';

type Op =
  | { op: 'pod'; i: number; node: number | null; cpu: number; phase: 'Pending' | 'Running' | 'Succeeded' }
  | { op: 'podDelete'; i: number }
  | { op: 'node'; i: number; pid: boolean; pool: number }
  | { op: 'nodeDelete'; i: number }
  | { op: 'claim'; i: number; pid: boolean; pool: number; nodeName: number | null }
  | { op: 'claimDelete'; i: number };

const small = fc.integer({ min: 0, max: 4 });
const maybe = fc.option(small, { nil: null });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('pod' as const), i: fc.integer({ min: 0, max: 9 }), node: maybe, cpu: fc.integer({ min: 1, max: 4 }), phase: fc.constantFrom('Pending' as const, 'Running' as const, 'Succeeded' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('podDelete' as const), i: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('node' as const), i: small, pid: fc.boolean(), pool: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nodeDelete' as const), i: small }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('claim' as const), i: small, pid: fc.boolean(), pool: fc.integer({ min: 0, max: 1 }), nodeName: maybe }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('claimDelete' as const), i: small }) },
);

const mkPod = (o: Extract<Op, { op: 'pod' }>): Pod => ({
  metadata: { name: `p${o.i}`, namespace: 'default' },
  spec: { ...(o.node !== null ? { nodeName: `n${o.node}` } : {}), containers: [{ name: 'c', resources: { requests: { cpu: String(o.cpu) } } }] },
  status: { phase: o.phase, conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
});
const mkNode = (o: Extract<Op, { op: 'node' }>): Node => ({
  metadata: { name: `n${o.i}`, labels: { 'karpenter.sh/nodepool': `pool${o.pool}` } },
  spec: o.pid ? { providerID: `pid-${o.i}` } : {},
  status: { capacity: { cpu: '8', pods: '10' }, allocatable: { cpu: '8', pods: '10' } },
});
const mkClaim = (o: Extract<Op, { op: 'claim' }>): NodeClaim => ({
  metadata: { name: `c${o.i}`, labels: { 'karpenter.sh/nodepool': `pool${o.pool}` } },
  spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'K', name: 'n' }, resources: { requests: { cpu: '1' } } },
  status: { ...(o.pid ? { providerID: `pid-${o.i}`, capacity: { cpu: '4' } } : {}), ...(o.nodeName !== null ? { nodeName: `n${o.nodeName}` } : {}) },
});

const clean = (r: ResourceList): ResourceList => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));

function check(ops: Op[]): void {
  const state = new ClusterState({ clock: new VirtualClock() });
  const pods = new Map<string, Pod>();
  const nodes = new Map<string, Node>();
  const claims = new Map<string, NodeClaim>();
  for (const o of ops) {
    switch (o.op) {
      case 'pod': { const p = mkPod(o); pods.set(p.metadata.name!, p); state.apply('Pod', p); break; }
      case 'podDelete': { const p = pods.get(`p${o.i}`); if (p) { pods.delete(`p${o.i}`); state.remove('Pod', p); } break; }
      case 'node': { const n = mkNode(o); nodes.set(n.metadata.name!, n); state.apply('Node', n); break; }
      case 'nodeDelete': { const n = nodes.get(`n${o.i}`); if (n) { nodes.delete(`n${o.i}`); state.remove('Node', n); } break; }
      case 'claim': { const c = mkClaim(o); claims.set(c.metadata.name!, c); state.apply('NodeClaim', c); break; }
      case 'claimDelete': { const c = claims.get(`c${o.i}`); if (c) { claims.delete(`c${o.i}`); state.remove('NodeClaim', c); } break; }
    }
  }
  // Machines from scratch: one per distinct providerID (or per unjoined object).
  const ids = new Set<string>();
  for (const n of nodes.values()) ids.add(n.spec?.providerID || `node/${n.metadata.name!}`);
  for (const c of claims.values()) ids.add(c.status?.providerID || `nodeclaim/${c.metadata.name!}`);
  assert.equal(state.nodeCount, ids.size, 'one machine per providerID');
  const views = state.nodes();
  assert.deepEqual(new Set(views.map((v) => v.id)), ids);
  const usage = new Map<string, ResourceList>();
  for (const v of views) {
    assert.ok(v.node || v.nodeClaim);
    if (v.node) assert.equal(nodes.get(v.node.metadata.name!), v.node, 'the latest node');
    if (v.nodeClaim) assert.equal(claims.get(v.nodeClaim.metadata.name!), v.nodeClaim, 'the latest claim');
    const podNode = v.node?.metadata.name ?? v.nodeClaim?.status?.nodeName;
    const onIt = [...pods.values()].filter((p) => p.spec.nodeName !== undefined && p.spec.nodeName === podNode && !isTerminal(p));
    assert.deepEqual(clean(v.requested), clean(addResources(...onIt.map(podRequests))), `requested on ${v.name}`);
    if (v.nodePool) usage.set(v.nodePool, addResources(usage.get(v.nodePool) ?? {}, v.capacity, { nodes: 1 }));
    assert.deepEqual(v.capacity, resourcesFromQuantities(v.initialized && v.node ? v.node.status?.capacity
      : (v.nodeClaim?.status?.capacity ?? (v.nodeClaim ? v.nodeClaim.spec.resources?.requests : v.node?.status?.capacity))));
  }
  for (const pool of ['pool0', 'pool1']) assert.deepEqual(clean(state.nodePoolUsage(pool)), clean(usage.get(pool) ?? {}), `usage of ${pool}`);
  assert.deepEqual(new Set(state.pendingPods().map((p) => p.metadata.name)), new Set([...pods.values()].filter(isProvisionable).map((p) => p.metadata.name)));
  assert.deepEqual(new Set(state.unboundPods().map((p) => p.metadata.name)), new Set([...pods.values()].filter(isUnbound).map((p) => p.metadata.name)));
  assert.equal(state.podCount, pods.size);
}

describe('ClusterState consistency', () => {
  it('keeps joins, per-node requests, pool usage and pending pods equal to a from-scratch computation', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 5, maxLength: 80 }), check), { numRuns: 300 });
  });
});
