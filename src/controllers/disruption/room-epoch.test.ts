import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import { ClusterState } from '../../state/cluster-state.js';
import type { StateNode } from '../../state/state-node.js';
import { nodePool, pod } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { Random } from '../../utils/random.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import { FreedRoom, RoomEpoch } from './room-epoch.js';

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

describe('FreedRoom.fitsSince', () => {
  /** Just what FreedRoom reads of a machine, with `cpu` (millicores), `memory` (bytes) and `slots` pods free. */
  const view = (name: string, cpu: number, memory: number, slots: number): StateNode => ({
    name, nodeName: name, initialized: true, markedForDeletion: false, cordoned: false,
    allocatable: { cpu: 4000, memory: 16, pods: 110 }, requested: { cpu: 4000 - cpu, memory: 16 - memory, pods: 110 - slots },
  }) as unknown as StateNode;

  it('says what trying every pod on every machine that gained room since the epoch says', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = new Random(seed);
      const int = (n: number): number => Math.floor(random.next() * n);
      const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const log = Array.from({ length: int(12) }, (_, i) => ({ epoch: i + 1, node: names[int(names.length)]! }));
      const room = (): number => (int(6) === 0 ? Number.NaN : int(5));
      const nodes = names.map((n) => view(n, room() * 1000, room() * 4, pick([0, 1, 5, Number.NaN])));
      const pods = Array.from({ length: int(6) }, () => pod({ cpu: `${int(5)}`, memory: `${int(20) / 1024}Ki` }));
      const latest = new Map<string, number>();
      for (const e of log) {
        latest.delete(e.node);
        latest.set(e.node, e.epoch);
      }
      const freed = new FreedRoom(latest, (name) => nodes.find((n) => n.name === name));
      // From the latest epoch back, so each ask reads room further back than the one before.
      for (let epoch = log.length; epoch >= 0; epoch--) {
        for (const self of names) {
          const expected = nodes.some((n) => n.name !== self && (latest.get(n.name) ?? 0) > epoch && !((n.allocatable[PODS] ?? 0) - (n.requested[PODS] ?? 0) < 1) && pods.some((p) => {
            const r = safePodRequests(p);
            return (r[CPU] ?? 0) <= (n.allocatable[CPU] ?? 0) - (n.requested[CPU] ?? 0)
              && (r[MEMORY] ?? 0) <= (n.allocatable[MEMORY] ?? 0) - (n.requested[MEMORY] ?? 0);
          }));
          assert.equal(freed.fitsSince(epoch, pods, self), expected, `seed ${seed}, epoch ${epoch}, self ${self}`);
        }
      }
    }
  });
});

describe('RoomEpoch.freedRoom', () => {
  it('over random room made and forgotten, says what the whole record of room made says', () => {
    const names = ['a', 'b', 'c', 'd'];
    const nodes = names.map((name) => ({
      name, nodeName: name, initialized: true, markedForDeletion: false, cordoned: false,
      allocatable: { cpu: 4000, memory: 16, pods: 110 }, requested: { cpu: 0, memory: 0, pods: 0 },
    }) as unknown as StateNode);
    const small = [pod({ cpu: '1' })];
    for (let seed = 1; seed <= 100; seed++) {
      const random = new Random(seed);
      const int = (n: number): number => Math.floor(random.next() * n);
      const room = new RoomEpoch();
      const log: { epoch: number; node: string }[] = [];
      let forgotten = 0;
      for (let step = 0; step < 40; step++) {
        if (int(4) === 0) {
          forgotten = Math.max(forgotten, int(room.value + 1));
          room.forgetUpTo(forgotten);
          continue;
        }
        const node = names[int(names.length)]!;
        const bound = pod({ cpu: '1', nodeName: node });
        room.observe({ type: 'Pod', pod: bound, previous: bound, deleted: true });
        log.push({ epoch: room.value, node });
        const freed = room.freedRoom(nodes);
        for (let epoch = room.value; epoch >= forgotten; epoch--) {
          for (const self of names) {
            const expected = log.some((e) => e.epoch > epoch && e.node !== self);
            assert.equal(freed.fitsSince(epoch, small, self), expected, `seed ${seed}, step ${step}, epoch ${epoch}, self ${self}`);
          }
        }
      }
    }
  });
});

describe('RoomEpoch.freedRoom with a machines version', () => {
  const view = (name: string, cpu: number): StateNode => ({
    name, nodeName: name, initialized: true, markedForDeletion: false, cordoned: false,
    allocatable: { cpu: 4000, memory: 16, pods: 110 }, requested: { cpu: 4000 - cpu, memory: 0, pods: 0 },
  }) as unknown as StateNode;
  const leave = (room: RoomEpoch, node: string): void => {
    const bound = pod({ cpu: '1', nodeName: node });
    room.observe({ type: 'Pod', pod: bound, previous: bound, deleted: true });
  };

  it('finds each machine in the list it is given, whether or not the version kept its places', () => {
    const room = new RoomEpoch();
    leave(room, 'b');
    const small = [pod({ cpu: '1' })];
    assert.equal(room.freedRoom([view('a', 0), view('b', 2000)], 7).fitsSince(0, small, 'a'), true);
    // The same version: the same names in the same order, other views (b is full now).
    assert.equal(room.freedRoom([view('a', 0), view('b', 0)], 7).fitsSince(0, small, 'a'), false);
    // A list that breaks the version's promise is read as it is.
    assert.equal(room.freedRoom([view('b', 2000), view('a', 0)], 7).fitsSince(0, small, 'a'), true);
    assert.equal(room.freedRoom([view('c', 0), view('a', 0), view('b', 2000)], 7).fitsSince(0, small, 'a'), true);
    assert.equal(room.freedRoom([view('a', 0)], 8).fitsSince(0, small, 'a'), false, 'b is gone');
    assert.equal(room.freedRoom([view('b', 0), view('b', 2000)], 9).fitsSince(0, small, 'a'), true, 'the last of one name');
  });
});
