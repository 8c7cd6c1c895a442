import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import type { StateChange } from '../../state/changes.js';
import type { StateNode } from '../../state/state-node.js';
import { pod } from '../../test/builders.js';
import { Random } from '../../utils/random.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import type { VerdictMemo } from './consolidation-methods.js';
import { SingleVerdicts } from './controller.js';
import type { CandidateMark, FreedRoom } from './room-epoch.js';
import { hasMark, markOf, RoomEpoch } from './room-epoch.js';
import type { Candidate, PoolInfo } from './types.js';

const TTL = 50;
const RECHECK = 10;

/** The memo as a walk over every verdict each pass: drops the expired and the globally stale, forgets up to the exact oldest epoch. */
class WalkAll {
  readonly #verdicts = new Map<string, { mark: CandidateMark; reason: string; at: number; epoch: number; view: StateNode; pool: PoolInfo }>();
  constructor(readonly room: RoomEpoch) {}

  memo(now: number, nodes: readonly StateNode[]): VerdictMemo {
    const { room } = this;
    let oldest = room.value;
    for (const [name, e] of this.#verdicts) {
      if (now - e.at >= TTL || room.globalSince(e.epoch)) this.#verdicts.delete(name);
      else oldest = Math.min(oldest, e.epoch);
    }
    room.forgetUpTo(oldest);
    let freed: FreedRoom | undefined;
    return {
      get: (c) => {
        const e = this.#verdicts.get(c.claimName);
        if (!e) return undefined;
        if (c.stateNode !== e.view || c.pool !== e.pool) {
          if (!hasMark(c, e.mark)) return undefined;
          e.view = c.stateNode;
          e.pool = c.pool;
        }
        if (now - e.at < RECHECK) return e.reason;
        freed ??= room.freedRoom(nodes);
        if (freed.fitsSince(e.epoch, c.reschedulablePods, c.nodeName)) return undefined;
        e.epoch = room.value;
        return e.reason;
      },
      set: (c, reason) => void this.#verdicts.set(c.claimName, { mark: markOf(c), reason, at: now, epoch: room.value, view: c.stateNode, pool: c.pool }),
    };
  }
}

const unit = safePodRequests(pod({ cpu: '1', memory: '1Gi' }));
const sizes = [0.5, 1, 2, 3].map((n) => pod({ cpu: String(n), memory: `${n}Gi` }));

/** A machine view with the given free cpu/memory (in cores/GiB) and last pod event, carrying `pods`. */
function view(name: string, free: number, lastPodEventMs: number, pods: readonly Pod[]): StateNode {
  const allocatable = { [CPU]: 4 * unit[CPU]!, [MEMORY]: 4 * unit[MEMORY]!, [PODS]: 110 };
  const requested = { [CPU]: (4 - free) * unit[CPU]!, [MEMORY]: (4 - free) * unit[MEMORY]!, [PODS]: 1 };
  return {
    name, nodeName: name, nodeClaimName: name, managed: true, initialized: true, markedForDeletion: false, cordoned: false, disrupted: false,
    labels: {}, pods, allocatable, requested, lastPodEventMs,
  } as unknown as StateNode;
}

/** Room made on a machine (a pod bound there deleted) or anywhere (a pending pod deleted). */
const podGone = (nodeName: string | undefined): StateChange => {
  const p = pod({ cpu: '1', nodeName });
  return { type: 'Pod', pod: p, previous: p, deleted: true };
};

describe('SingleVerdicts', () => {
  it('answers as a walk over every verdict each pass, through expiry, room made and candidates changing', () => {
    const poolA = { name: 'a' } as unknown as PoolInfo;
    const poolB = { name: 'b' } as unknown as PoolInfo;
    let asks = 0;
    let held = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = new Random(seed);
      const fastRoom = new RoomEpoch();
      const memoOf = new SingleVerdicts(fastRoom, TTL, RECHECK);
      const slow = new WalkAll(new RoomEpoch());
      const names = Array.from({ length: 12 }, (_, i) => `m${i}`);
      const machines = new Map(names.map((n) => [n, { free: r.int(0, 4), event: 0, pods: [sizes[r.int(0, 3)]!], price: 1, pool: poolA }]));
      let now = 0;
      for (let passNo = 0; passNo < 120; passNo++) {
        now += r.bool(0.05) ? -r.int(0, 12) : r.int(0, 12); // a real clock can step back
        for (let k = r.int(0, 3); k > 0; k--) {
          const change = r.bool(0.15) ? podGone(undefined) : podGone(names[r.int(0, names.length - 1)]);
          fastRoom.observe(change);
          slow.room.observe(change);
        }
        for (const m of machines.values()) {
          if (r.bool(0.2)) m.free = r.int(0, 4);
          if (r.bool(0.05)) m.event = now;
          if (r.bool(0.05)) m.pods = [sizes[r.int(0, 3)]!, ...(r.bool(0.5) ? [sizes[r.int(0, 3)]!] : [])];
          if (r.bool(0.03)) m.price = r.int(1, 2);
          if (r.bool(0.03)) m.pool = r.bool(0.5) ? poolA : poolB;
        }
        const nodes = names.map((n) => {
          const m = machines.get(n)!;
          return view(n, m.free, m.event, m.pods);
        });
        const a = memoOf.memo(now, nodes, undefined);
        const b = slow.memo(now, nodes);
        for (const i of names.map((_, i) => i).filter(() => r.bool(0.7))) {
          const m = machines.get(names[i]!)!;
          const c = { claimName: `c${i}`, nodeName: names[i], stateNode: nodes[i], pool: m.pool, price: m.price, reschedulablePods: m.pods } as unknown as Candidate;
          const got = a.get(c);
          assert.equal(got, b.get(c), `seed ${seed} pass ${passNo} ${c.claimName}`);
          asks++;
          if (got !== undefined) held++;
          else if (r.bool(0.8)) {
            const reason = `r${r.int(0, 3)}`;
            a.set(c, reason);
            b.set(c, reason);
          }
        }
      }
    }
    assert.ok(held > asks / 4 && held < (asks * 3) / 4, `a mix of kept and dropped verdicts (${held} of ${asks})`);
  });
});
