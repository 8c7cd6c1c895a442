import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { nodePool, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { RoomEpoch } from './room-epoch.js';

function machine(name: string, ready: boolean): { claim: NodeClaim; node: Node } {
  const labels = { 'karpenter.sh/nodepool': 'default', 'kubernetes.io/hostname': name, ...(ready ? { 'karpenter.sh/initialized': 'true' } : {}) };
  const q = { cpu: '4', memory: '16Gi', pods: '110' };
  return {
    claim: { metadata: { name, labels }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } }, status: { providerID: `p://${name}`, nodeName: name, capacity: q, allocatable: q } },
    node: { metadata: { name, labels }, spec: { providerID: `p://${name}` }, status: { capacity: q, allocatable: q, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
  };
}

describe('RoomEpoch', () => {
  const setup = (): { state: ClusterState; room: RoomEpoch; bump: () => boolean } => {
    const state = new ClusterState({ clock: new VirtualClock() });
    const room = new RoomEpoch();
    state.subscribe((c) => room.observe(c));
    let last = room.value;
    const bump = (): boolean => {
      const moved = room.value !== last;
      last = room.value;
      return moved;
    };
    return { state, room, bump };
  };

  it('counts machines opening up, not machines arriving uninitialised or heartbeats', () => {
    const { state, bump } = setup();
    const a = machine('a', false);
    state.apply('NodeClaim', a.claim);
    state.apply('Node', a.node);
    assert.equal(bump(), false, 'a machine still starting offers no room yet');
    const ready = machine('a', true);
    state.apply('NodeClaim', ready.claim);
    state.apply('Node', ready.node);
    assert.equal(bump(), true, 'initialised');
    state.apply('Node', { ...ready.node, metadata: { ...ready.node.metadata, annotations: { beat: '2' } } });
    assert.equal(bump(), false, 'an update that changes nothing about room');
    state.markForDeletion('a');
    assert.equal(bump(), false, 'marked: less room');
    state.unmarkForDeletion('a');
    assert.equal(bump(), true, 'unmarked: room again');
  });

  it('counts pods leaving nodes and pending pods going away, not pods arriving or starting', () => {
    const { state, bump } = setup();
    const m = machine('a', true);
    state.apply('NodeClaim', m.claim);
    state.apply('Node', m.node);
    bump();
    const pending: Pod = pod({ name: 'p', cpu: '1' });
    state.apply('Pod', pending);
    assert.equal(bump(), false, 'a new pending pod');
    const bound: Pod = { ...pending, spec: { ...pending.spec, nodeName: 'a' } };
    state.apply('Pod', bound);
    assert.equal(bump(), false, 'bound');
    state.apply('Pod', { ...bound, status: { phase: 'Running' } });
    assert.equal(bump(), false, 'started');
    state.apply('Pod', { ...bound, status: { phase: 'Succeeded' } });
    assert.equal(bump(), true, 'finished: its requests no longer count');
    const other = pod({ name: 'q', cpu: '1', nodeName: 'a' });
    state.apply('Pod', other);
    bump();
    state.remove('Pod', other);
    assert.equal(bump(), true, 'deleted from its node');
    const waiting = pod({ name: 'r', cpu: '1' });
    state.apply('Pod', waiting);
    bump();
    state.remove('Pod', waiting);
    assert.equal(bump(), true, 'a pending pod deleted: less demand');
  });

  it('says where room was made since a reading, and forgets what no one will ask about', () => {
    const { state, room } = setup();
    for (const n of ['a', 'b']) {
      const m = machine(n, true);
      state.apply('NodeClaim', m.claim);
      state.apply('Node', m.node);
    }
    const before = room.value;
    const p = pod({ name: 'p', cpu: '1', nodeName: 'b' });
    state.apply('Pod', p);
    state.remove('Pod', p);
    const small = [pod({ name: 'small', cpu: '1' })];
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(before, small, 'a'), true, 'room made on b');
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(before, small, 'b'), false, 'a machine\'s own room does not count');
    assert.equal(room.globalSince(before), false);
    room.forgetUpTo(room.value);
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(before, small, 'a'), false, 'forgotten');
    state.apply('PodDisruptionBudget', { metadata: { name: 'x', namespace: 'default' }, spec: {} });
    assert.equal(room.globalSince(before), false, 'a PodDisruptionBudget makes no room');
    const pool = nodePool({ name: 'default' });
    state.apply('NodePool', pool);
    assert.equal(room.globalSince(before), true, 'a new NodePool');
    const seen = room.value;
    state.apply('NodePool', { ...pool, status: { resources: { cpu: '4' } } });
    assert.equal(room.globalSince(seen), false, 'a status update of it');
  });
});

describe('FreedRoom', () => {
  /** Machines a, b and c, initialised; `x` (3 of 4 cpu) bound to a; returns the state, its room and the epoch before any pod left. */
  const setup = (): { state: ClusterState; room: RoomEpoch; start: number } => {
    const state = new ClusterState({ clock: new VirtualClock() });
    const room = new RoomEpoch();
    state.subscribe((c) => room.observe(c));
    for (const n of ['a', 'b', 'c']) {
      const m = machine(n, true);
      state.apply('NodeClaim', m.claim);
      state.apply('Node', m.node);
    }
    state.apply('Pod', pod({ name: 'x', cpu: '3', nodeName: 'a' }));
    return { state, room, start: room.value };
  };
  const leave = (state: ClusterState, node: string, name: string): void => {
    const p = pod({ name, cpu: '100m', nodeName: node });
    state.apply('Pod', p);
    state.remove('Pod', p);
  };

  it('is true when one of the pods fits in the free cpu and memory a machine that gained room has now', () => {
    const { state, room, start } = setup();
    leave(state, 'a', 'y');
    const freed = room.freedRoom(state.snapshot().stateNodes);
    assert.equal(freed.fitsSince(start, [pod({ name: 'big', cpu: '2' })], 'b'), false, '1 cpu is free on a');
    assert.equal(freed.fitsSince(start, [pod({ name: 'big', cpu: '2' }), pod({ name: 'small', cpu: '500m' })], 'b'), true);
  });

  it('counts a machine by the last time it gained room, and each machine once', () => {
    const { state, room, start } = setup();
    leave(state, 'b', 'y');
    const between = room.value;
    leave(state, 'c', 'z');
    leave(state, 'b', 'w');
    const small = [pod({ name: 's', cpu: '1' })];
    const freed = room.freedRoom(state.snapshot().stateNodes);
    assert.equal(freed.fitsSince(between, small, 'c'), true, 'b gained room again after the reading');
    assert.equal(freed.fitsSince(room.value, small, 'c'), false, 'nothing since now');
    assert.equal(freed.fitsSince(start, small, 'b'), true, 'c, for b');
    leave(state, 'a', 'v');
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(room.value - 1, small, 'b'), true, 'a has 1 cpu free');
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(room.value - 1, [pod({ name: 'l', cpu: '1500m' })], 'b'), false);
  });

  it('leaves out machines that accept no pods now', () => {
    const { state, room, start } = setup();
    leave(state, 'b', 'y');
    state.markForDeletion('b');
    const small = [pod({ name: 's', cpu: '1' })];
    assert.equal(room.freedRoom(state.snapshot().stateNodes).fitsSince(start, small, 'c'), false, 'b is marked for deletion');
    assert.equal(room.freedRoom([]).fitsSince(start, small, 'c'), false, 'b is not in the snapshot');
  });
});
