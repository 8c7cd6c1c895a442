/**
 * The cache at the size of issue 3's target (5,000 nodes, 100,000 pods): every write is indexed,
 * so loading it, changing it and snapshotting it take well under a second each on one core.
 * Bounds are loose (shared CI machines); a per-event scan of all pods or nodes would blow them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../apis/core.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { VirtualClock } from '../utils/clock.js';
import { ClusterState } from './cluster-state.js';

const NODES = 5_000;
const PODS = 100_000;

const claimOf = (i: number): NodeClaim => ({
  metadata: { name: `c${i}`, labels: { 'karpenter.sh/nodepool': `pool${i % 4}` } },
  spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' } },
  status: {
    providerID: `kwok://i-${i}`, nodeName: `n${i}`, capacity: { cpu: '16', memory: '64Gi', pods: '110' },
    allocatable: { cpu: '16', memory: '60Gi', pods: '110' }, conditions: [{ type: 'Initialized', status: 'True' }],
  },
});
const nodeOf = (i: number): Node => ({
  metadata: { name: `n${i}`, labels: { 'karpenter.sh/nodepool': `pool${i % 4}`, 'karpenter.sh/initialized': 'true' } },
  spec: { providerID: `kwok://i-${i}` },
  status: { capacity: { cpu: '16', memory: '64Gi', pods: '110' }, allocatable: { cpu: '16', memory: '60Gi', pods: '110' } },
});
const podOf = (i: number, node: number): Pod => ({
  metadata: { name: `p${i}`, namespace: 'default', labels: { app: `a${i % 50}` } },
  spec: { nodeName: `n${node}`, containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '256Mi' } } }] },
  status: { phase: 'Running' },
});

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe('ClusterState at 5,000 nodes and 100,000 pods', () => {
  it('loads, updates and snapshots without scanning per event', () => {
    const state = new ClusterState({ clock: new VirtualClock() });
    let events = 0;
    state.subscribe(() => events++);
    const load = timed(() => {
      for (let i = 0; i < NODES; i++) {
        state.apply('NodeClaim', claimOf(i));
        state.apply('Node', nodeOf(i));
      }
      for (let i = 0; i < PODS; i++) state.apply('Pod', podOf(i, i % NODES));
    });
    assert.equal(state.nodeCount, NODES);
    assert.equal(state.podCount, PODS);
    assert.deepEqual(state.node('n7')!.requested, { cpu: 2_000, memory: 20 * 256 * 2 ** 20, pods: 20 });
    assert.equal(state.nodePoolUsage('pool1').nodes, NODES / 4);
    assert.equal(state.nodePoolUsage('pool1').cpu, (NODES / 4) * 16_000);

    const moves = timed(() => {
      for (let i = 0; i < 10_000; i++) state.apply('Pod', podOf(i, (i + 1) % NODES));
    });
    const marks = timed(() => {
      for (let i = 0; i < 100; i++) state.markForDeletion(`c${i}`);
    });
    let snap = state.snapshot();
    const snapshot = timed(() => {
      snap = state.snapshot();
    });
    assert.equal(snap.solverNodes.length, NODES - 100);
    assert.equal(snap.reschedulablePods.length, 100 * 20);
    assert.equal(snap.nodePoolUsage.size, 4);
    assert.ok(events >= NODES * 2 + PODS);
    const report = `load ${load.toFixed(0)} ms, 10k moves ${moves.toFixed(0)} ms, 100 marks ${marks.toFixed(1)} ms, snapshot ${snapshot.toFixed(0)} ms`;
    assert.ok(load < 15_000, report);
    assert.ok(moves < 2_000, report);
    assert.ok(marks < 200, report);
    assert.ok(snapshot < 2_000, report);
  });
});
