import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../apis/core.js';
import { DISRUPTED_TAINT, INITIALIZED_LABEL, NODEPOOL_LABEL } from '../apis/labels.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { node as baseNode, pod } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import { ClusterState } from './cluster-state.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function claim(i: number, o: { launched: boolean; initialized: boolean; nodeName: boolean; deleting: boolean }): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim',
    metadata: { name: `c${i}`, labels: { [NODEPOOL_LABEL]: 'default' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' }, resources: { requests: { cpu: '1', pods: '10' } } },
    status: {
      ...(o.launched ? { providerID: `p${i}`, capacity: { cpu: '4', pods: '110' }, allocatable: { cpu: '4', pods: '110' } } : {}),
      ...(o.nodeName ? { nodeName: `n${i}` } : {}),
      conditions: o.initialized ? [{ type: 'Initialized', status: 'True' }] : [],
    },
  };
}

function machineNode(i: number, o: { providerID: boolean; disrupted: boolean; cordoned: boolean }): Node {
  const n = baseNode(`n${i}`, { cpu: '4', labels: { [NODEPOOL_LABEL]: 'default', [INITIALIZED_LABEL]: 'true' }, taints: o.disrupted ? [DISRUPTED_TAINT] : undefined });
  return { ...n, spec: { ...n.spec, providerID: o.providerID ? `p${i}` : undefined, unschedulable: o.cordoned } };
}

function boundPod(name: string, nodeName: string, o: { daemon: boolean; done: boolean }): Pod {
  const p = pod({ name, nodeName, cpu: '100m', ownerKind: o.daemon ? 'DaemonSet' : 'ReplicaSet' });
  return o.done ? { ...p, status: { ...p.status, phase: 'Succeeded' } } : p;
}

/** One random write to the cache: machines, pods, notes or the clock. */
async function step(state: ClusterState, clock: VirtualClock, r: (n: number) => number): Promise<void> {
  const i = r(6);
  const name = [`n${i}`, `c${i}`, `x${i}`][r(3)]!;
  const flag = (): boolean => r(2) === 0;
  switch (r(9)) {
    case 0: return state.apply('NodeClaim', claim(i, { launched: flag(), initialized: flag(), nodeName: flag(), deleting: r(6) === 0 }));
    case 1: return state.remove('NodeClaim', claim(i, { launched: true, initialized: true, nodeName: true, deleting: false }));
    case 2: return state.apply('Node', machineNode(i, { providerID: r(4) !== 0, disrupted: r(5) === 0, cordoned: r(5) === 0 }));
    case 3: return state.remove('Node', machineNode(i, { providerID: true, disrupted: false, cordoned: false }));
    case 4:
    case 5: return state.apply('Pod', boundPod(`pod${r(20)}`, name, { daemon: r(4) === 0, done: r(5) === 0 }));
    case 6: return state.remove('Pod', pod({ name: `pod${r(20)}` }));
    case 7: {
      const note = r(3);
      if (note === 0) state.nominate(name, clock.now() + 1_000 * (1 + r(5)));
      else if (note === 1) state.markForDeletion(name);
      else state.unmarkForDeletion(name);
      return;
    }
    case 8:
      await clock.step(500 * r(6));
      return;
  }
}

describe('MachineViews', () => {
  it('lists what a snapshot taken from scratch lists, view for view, over random writes', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const clock = new VirtualClock();
      const state = new ClusterState({ clock });
      const r = random(seed);
      for (let n = 0; n < 150; n++) {
        const writes = 1 + r(3);
        for (let w = 0; w < writes; w++) await step(state, clock, r);
        const carried = state.snapshot();
        // An exclude list takes the machines from scratch (listMachines), asking every record.
        const fresh = state.snapshot({ exclude: new Set() });
        const at = `seed ${seed}, step ${n}`;
        assert.equal(carried.stateNodes.length, fresh.stateNodes.length, at);
        carried.stateNodes.forEach((v, k) => assert.equal(v, fresh.stateNodes[k], `${at}: view ${v.name}`));
        assert.equal(carried.solverNodes.length, fresh.solverNodes.length, at);
        carried.solverNodes.forEach((s, k) => assert.equal(s, fresh.solverNodes[k], `${at}: solver node ${s.name}`));
        assert.deepEqual(carried.reschedulablePods, fresh.reschedulablePods, at);
      }
    }
  });

  it('lists what a fresh snapshot lists after more machines came and went than the journal keeps', () => {
    const state = new ClusterState({ clock: new VirtualClock() });
    const flags = { launched: true, initialized: true, nodeName: true, deleting: false };
    for (let i = 0; i < 4; i++) state.apply('NodeClaim', claim(i, flags));
    state.snapshot();
    // 1,500 machines come and go (3,000 journal entries: over 1,024 + 4 per machine), one of
    // those listed goes, one changes, and two new ones stay: only a look at every record finds them.
    for (let i = 100; i < 1_600; i++) {
      state.apply('NodeClaim', claim(i, flags));
      state.remove('NodeClaim', claim(i, flags));
    }
    state.remove('NodeClaim', claim(1, flags));
    state.apply('NodeClaim', claim(2, { ...flags, deleting: true }));
    for (const i of [7, 5]) state.apply('NodeClaim', claim(i, flags));
    const carried = state.snapshot();
    const fresh = state.snapshot({ exclude: new Set() });
    assert.deepEqual(carried.stateNodes.map((v) => v.name), ['c0', 'c2', 'c3', 'c7', 'c5']);
    carried.stateNodes.forEach((v, k) => assert.equal(v, fresh.stateNodes[k], `view ${v.name}`));
    assert.deepEqual(carried.solverNodes, fresh.solverNodes);
    assert.equal(carried.stateNodes[1]!.deleting, true, 'the changed machine shows its change');
  });

  it('hands each snapshot arrays of its own', () => {
    const state = new ClusterState({ clock: new VirtualClock() });
    state.apply('NodeClaim', claim(1, { launched: true, initialized: true, nodeName: true, deleting: false }));
    state.apply('Node', machineNode(1, { providerID: true, disrupted: false, cordoned: false }));
    const first = state.snapshot();
    state.markForDeletion('n1');
    const second = state.snapshot();
    assert.equal(first.stateNodes[0]!.markedForDeletion, false, 'the first snapshot still shows the machine as it was');
    assert.equal(second.stateNodes[0]!.markedForDeletion, true);
    assert.deepEqual([first.solverNodes.length, second.solverNodes.length], [1, 0], 'a machine marked for deletion is leaving');
    state.unmarkForDeletion('n1');
    const third = state.snapshot();
    // A caller emptying its arrays (typed read-only, but plain arrays) must not empty the next snapshot's.
    (third.stateNodes as unknown[]).length = 0;
    (third.solverNodes as unknown[]).length = 0;
    const fourth = state.snapshot();
    assert.deepEqual([fourth.stateNodes.length, fourth.solverNodes.length], [1, 1], 'a snapshot of an unchanged cache has arrays of its own too');
  });
});
