/**
 * The last N decisions, in the order recorded, with indexes by pod, node, NodePool and kind so a
 * query touches only the records that name what it asks about. Old records fall off the front;
 * index entries pointing at them are trimmed lazily, so memory stays proportional to what is kept.
 */
import type { Decision, DecisionKind } from '../context.js';
import { placementsOf } from './placement.js';

export interface DecisionQuery {
  /** "namespace/name". */
  pod?: string;
  /** NodeClaim or Node name. */
  node?: string;
  nodePool?: string;
  kind?: DecisionKind | readonly DecisionKind[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Only the latest this many matches. */
  limit?: number;
}

/** Sequence numbers of the records naming one key, ascending; entries below `floor` are stale. */
class KeyIndex {
  readonly #map = new Map<string, number[]>();
  #adds = 0;

  add(key: string, seq: number): void {
    const list = this.#map.get(key);
    if (list === undefined) this.#map.set(key, [seq]);
    else if (list[list.length - 1] !== seq) list.push(seq);
  }

  /** Live sequence numbers for the key (trims the stale ones it meets). */
  get(key: string, floor: number): readonly number[] {
    const list = this.#map.get(key);
    if (list === undefined) return [];
    let drop = 0;
    while (drop < list.length && list[drop]! < floor) drop++;
    if (drop === list.length) {
      this.#map.delete(key);
      return [];
    }
    if (drop > 0) list.splice(0, drop);
    return list;
  }

  /** Called per record; every so often drops keys whose records have all fallen off. */
  maybeSweep(floor: number, every: number): void {
    if (++this.#adds < every) return;
    this.#adds = 0;
    for (const [key, list] of this.#map) if (list[list.length - 1]! < floor) this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}

export class DecisionStore {
  readonly capacity: number;
  readonly #ring: (Decision | undefined)[];
  /** Sequence number the next record gets; record `s` lives at `s % capacity`. */
  #next = 0;
  /**
   * Records below this sequence number are in the indexes. Indexing waits for the next query that
   * reads an index: a simulated run records up to 100,000 decisions and asks about none of them
   * by key (it reads them all once, in order).
   */
  #indexed = 0;
  readonly #byPod = new KeyIndex();
  readonly #byNode = new KeyIndex();
  readonly #byPool = new KeyIndex();
  readonly #byKind = new KeyIndex();

  /** @throws RangeError unless capacity is a positive integer. */
  constructor(capacity = 10_000) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`decision store capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array<Decision | undefined>(capacity);
  }

  /** Records kept (at most capacity). */
  get size(): number {
    return Math.min(this.#next, this.capacity);
  }

  /** Total ever recorded (including the ones that fell off). */
  get recorded(): number {
    return this.#next;
  }

  /** Keys held by the indexes (for tests that check memory stays bounded). */
  get indexedKeys(): number {
    this.#catchUp();
    return this.#byPod.size + this.#byNode.size + this.#byPool.size + this.#byKind.size;
  }

  get #floor(): number {
    return Math.max(0, this.#next - this.capacity);
  }

  /** Keeps the decision (the oldest one falls off when full); it is indexed at the next query. */
  add(decision: Decision): void {
    this.#ring[this.#next++ % this.capacity] = decision;
  }

  /** Indexes the records added since the last query that are still kept, oldest first. */
  #catchUp(): void {
    for (let seq = Math.max(this.#indexed, this.#floor); seq < this.#next; seq++) this.#index(this.#ring[seq % this.capacity]!, seq);
    this.#indexed = this.#next;
  }

  #index(decision: Decision, seq: number): void {
    for (const p of decision.pods ?? []) this.#byPod.add(p, seq);
    for (const n of decision.nodes ?? []) this.#byNode.add(n, seq);
    for (const placement of placementsOf(decision) ?? []) {
      this.#byNode.add(placement.node, seq);
      for (const p of placement.pods) this.#byPod.add(p, seq);
    }
    if (decision.nodePool !== undefined) this.#byPool.add(decision.nodePool, seq);
    this.#byKind.add(decision.kind, seq);
    const floor = this.#floor;
    const every = this.capacity;
    this.#byPod.maybeSweep(floor, every);
    this.#byNode.maybeSweep(floor, every);
    this.#byPool.maybeSweep(floor, every);
  }

  /** Matching records, oldest first (the latest `limit` of them when a limit is given). */
  query(q: DecisionQuery = {}): Decision[] {
    const floor = this.#floor;
    const kinds = q.kind === undefined ? undefined : new Set<DecisionKind>(typeof q.kind === 'string' ? [q.kind] : q.kind);
    if (q.pod !== undefined || q.node !== undefined || q.nodePool !== undefined || kinds?.size === 1) this.#catchUp();
    // Walk the smallest index that applies; check every other condition on the record itself.
    const candidates: { by: 'pod' | 'node' | 'pool' | 'kind'; seqs: readonly number[] }[] = [];
    if (q.pod !== undefined) candidates.push({ by: 'pod', seqs: this.#byPod.get(q.pod, floor) });
    if (q.node !== undefined) candidates.push({ by: 'node', seqs: this.#byNode.get(q.node, floor) });
    if (q.nodePool !== undefined) candidates.push({ by: 'pool', seqs: this.#byPool.get(q.nodePool, floor) });
    if (kinds && kinds.size === 1) candidates.push({ by: 'kind', seqs: this.#byKind.get([...kinds][0]!, floor) });
    const best = candidates.length === 0 ? undefined : candidates.reduce((a, b) => (b.seqs.length < a.seqs.length ? b : a));
    const seqs: Iterable<number> = best ? best.seqs : range(floor, this.#next);
    const out: Decision[] = [];
    for (const seq of seqs) {
      const d = this.#ring[seq % this.capacity]!;
      if (kinds && !kinds.has(d.kind)) continue;
      if (q.since !== undefined && d.time < q.since) continue;
      if (q.until !== undefined && d.time > q.until) continue;
      if (q.nodePool !== undefined && d.nodePool !== q.nodePool) continue;
      if (q.pod !== undefined && best?.by !== 'pod' && !concerns(d, 'pod', q.pod)) continue;
      if (q.node !== undefined && best?.by !== 'node' && !concerns(d, 'node', q.node)) continue;
      out.push(d);
    }
    return q.limit !== undefined ? out.slice(Math.max(0, out.length - q.limit)) : out;
  }
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i;
}

/** Whether the decision names this pod or node, placements included. */
function concerns(d: Decision, what: 'pod' | 'node', name: string): boolean {
  if ((what === 'pod' ? d.pods : d.nodes)?.includes(name)) return true;
  for (const p of placementsOf(d) ?? []) {
    if (what === 'node' ? p.node === name : p.pods.includes(name)) return true;
  }
  return false;
}
