/**
 * The solver's view of the cluster for one disruption pass, built once and shared by every
 * simulation of the pass ("could these candidates' pods go elsewhere?").
 *
 * At 5,000 nodes and 100,000 pods most of a solve would go to re-reading the pods already bound to
 * nodes. The solver reads those pods for four things only: the resources they use, their host
 * ports, topology counts for the terms of the pods being placed, and their own required
 * anti-affinity. So each node keeps only the pods that matter for one of those (host ports, required
 * anti-affinity, or labels some spread or affinity selector of a movable pod could select), and its
 * allocatable is reduced by the requests of the pods left out. The solve is the same; it is just
 * cheaper. When no pod involved has topology terms at all, nodes that cannot host even the smallest
 * pod being placed (or accept none) are also left out of each simulation.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { HOSTNAME_LABEL } from '../../apis/labels.js';
import { NodeBase, NodeBaseChain, type NodeLineup, type NodeSubset } from '../../scheduling/node-base.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import type { SolverNode, SolverNodePool, SolverOptions } from '../../scheduling/types.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';
import type { ResourceList } from '../../utils/resources.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import { carriedIndexes } from '../provisioning/carry-by-identity.js';
import { movableTerms, nodeEntries, type NodeEntry } from './simulation-base-reuse.js';
import type { LeavingNode, PoolInfo } from './types.js';

export interface SimulationBaseInput {
  readonly snapshot: ClusterSnapshot;
  readonly pools: ReadonlyMap<string, PoolInfo>;
  /** Pods waiting for capacity (pending, or unbound with direct binding): simulations place them too. */
  readonly pending: readonly Pod[];
  /**
   * Pods of the machines this pass may simulate away (every candidate's reschedulable pods): in
   * one list, or one list per machine, as the cache hands them out (what the base reads from such
   * a list is kept per list, so a pass reads only the lists that changed).
   */
  readonly candidatePods: readonly Pod[] | readonly (readonly Pod[])[];
  readonly options?: SolverOptions;
  /**
   * What the owner's previous bases left to carry from (the disruption controller's passes and
   * validations share one): without it the base derives everything afresh.
   */
  readonly carry?: BaseCarry;
}

/** The candidates' pods as lists: the lists given, or the one list given. */
const perMachine = (pods: SimulationBaseInput['candidatePods']): readonly (readonly Pod[])[] =>
  pods.length > 0 && Array.isArray(pods[0]) ? pods as readonly (readonly Pod[])[] : [pods as readonly Pod[]];

/** The least cpu and memory some pods request (Infinity for none). */
export interface Least {
  readonly cpu: number;
  readonly memory: number;
}

/** The least cpu and memory any of the pods requests (Infinity when there are none). */
export function leastRequests(pods: readonly Pod[]): Least {
  let cpu = Infinity;
  let memory = Infinity;
  for (const p of pods) {
    const r = safePodRequests(p);
    cpu = Math.min(cpu, r[CPU] ?? 0);
    memory = Math.min(memory, r[MEMORY] ?? 0);
  }
  return { cpu, memory };
}

/**
 * A pool's usage without one machine of this capacity: subtractResources(usage, { ...capacity,
 * nodes: 1 }), keys in the same order, without the intermediate lists.
 */
export function relieved(usage: ResourceList, capacity: ResourceList): ResourceList {
  const out: Record<string, number> = { ...usage };
  let nodes = false;
  for (const k in capacity) {
    if (k === 'nodes') nodes = true;
    out[k] = (out[k] ?? 0) - (k === 'nodes' ? 1 : capacity[k]!);
  }
  if (!nodes) out.nodes = (out.nodes ?? 0) - 1;
  return out;
}

/** What SimulationBase.otherPods holds. */
export interface OtherPods {
  /**
   * The pods, as a simulation would list them after the leaving machines' pods when none of those
   * has one of their keys: those of machines going away (one per key: the last of a key, at its
   * first place), then the pending pods whose key is not among them.
   */
  readonly pods: readonly Pod[];
  /** How many of `pods` are of machines going away (they come first). */
  readonly going: number;
  /** The first `going` of `pods`: the ones that must move. */
  readonly mustMove: ReadonlySet<Pod>;
  /** The keys of `pods`. */
  readonly keys: ReadonlySet<string>;
  /** leastRequests(pods). */
  readonly least: Least;
}

/** The OtherPods of the pods of machines going away and the pending pods. */
export function otherPods(going: readonly Pod[], pending: readonly Pod[]): OtherPods {
  const byKey = new Map<string, Pod>();
  for (const p of going) byKey.set(keyOf(p), p);
  const pods = [...byKey.values()];
  const keys = new Set(byKey.keys());
  const mustMove = new Set(pods);
  for (const p of pending) {
    const key = keyOf(p);
    if (byKey.has(key)) continue;
    pods.push(p);
    keys.add(key);
  }
  return { pods, going: byKey.size, mustMove, keys, least: leastRequests(pods) };
}

/**
 * The solver nodes of a simulation that leaves out no node, for one smallest pod: the keep mask,
 * and per signature id how many of its nodes are useful (kept for their room or pods) and its
 * droppable nodes in order (the first one is kept when no useful node is).
 */
interface FullKeep {
  readonly keep: Uint8Array;
  readonly useful: Int32Array;
  /** (undefined for a signature without droppable nodes) */
  readonly droppable: readonly (Int32Array | undefined)[];
}

/** Node name → index in a list of nodes, and the further indexes of names several nodes have. */
interface ByName {
  readonly first: ReadonlyMap<string, number>;
  readonly more: ReadonlyMap<string, readonly number[]>;
}

function byName(nodes: readonly SolverNode[]): ByName {
  const first = new Map<string, number>();
  const more = new Map<string, number[]>();
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.name;
    if (!first.has(name)) first.set(name, i);
    else {
      const list = more.get(name);
      if (list) list.push(i);
      else more.set(name, [i]);
    }
  }
  return { first, more };
}

/** Smallest-pod sizes whose full subsets a base remembers (a pass's pods come in a few sizes). */
const FULL_KEEPS = 16;

/**
 * One owner's bases, made one after another over mostly the same cluster: the next base takes what
 * the last one derived per node for the same node entries (a validation's base, 15 s after its
 * pass's, differs in a few nodes at most), and each solver view is made after the last (see NodeBase).
 */
export class BaseCarry {
  /** The last base made with this carry. */
  last: SimulationBase | undefined;
  /** The solver views of the bases, each made after the one before. */
  readonly nodeBases = new NodeBaseChain();
}

/**
 * `order` (indexes of a base carried from, by `room`, most first, ties by index) put in this base's
 * indexes by `to` (-1: not here) and merged with `added` put in that order: what sorting the new
 * list of indexes gives, `to` keeping the order of the indexes it keeps.
 */
function mergeOrder(order: readonly number[], to: Int32Array, added: readonly number[], room: Float64Array): number[] {
  const before = (a: number, b: number): boolean => room[a]! > room[b]! || (room[a] === room[b] && a < b);
  const extra = [...added].sort((a, b) => room[b]! - room[a]! || a - b);
  const out: number[] = [];
  let k = 0;
  for (const old of order) {
    const i = to[old]!;
    if (i < 0) continue;
    while (k < extra.length && before(extra[k]!, i)) out.push(extra[k++]!);
    out.push(i);
  }
  while (k < extra.length) out.push(extra[k++]!);
  return out;
}

export class SimulationBase {
  readonly snapshot: ClusterSnapshot;
  readonly pools: ReadonlyMap<string, PoolInfo>;
  readonly pending: readonly Pod[];
  readonly options: SolverOptions;
  readonly #nodes: SolverNode[];
  /** Per node of #nodes: what the pass holds of it (free room, whether it is pinned, ...). */
  readonly #entries: readonly NodeEntry[];
  /** The topology keys in play as JSON text ('' when no topology is involved). */
  readonly #keyText: string;
  /** Per node: 1 when it keeps pods the solver must see, so it is never left out. */
  readonly #pinned: Uint8Array;
  /**
   * Read per simulation as numbers: the free cpu, memory and pod slots of each node (-Infinity
   * when it accepts no pods), and, when topology is involved, its signature as a small id (else
   * -1): its values for the topology keys in play (hostname aside) and its taints. A node left out
   * must have a kept twin, so every domain stays registered with the same taints; hostname domains
   * need none (a hostname domain's minimum is always 0). Only which nodes share an id matters, so a
   * base carrying ids over may hold ids no node has.
   */
  readonly #freeCpu: Float64Array;
  readonly #freeMemory: Float64Array;
  readonly #freePods: Float64Array;
  readonly #signatureId: Int32Array;
  /**
   * Signature text → id, for the keys of #keyText: carried from base to base while those keys are
   * the same, only ever added to (a base's ids stay valid when later ones add theirs).
   */
  readonly #ids: Map<string, number>;
  /** Number of signature ids. */
  readonly #signatures: number;
  /** The subsets of nodes with none left out, per smallest pod (see #fullKeep). */
  readonly #fullKeeps: Map<string, FullKeep>;
  /** Scratch per node: the simulation stamp when it is left out. */
  readonly #excludedAt: Int32Array;
  #stamp = 0;
  /** The indexes of the nodes by name (built on first use). */
  #byName: ByName | undefined;

  #indexOf(): ByName {
    return (this.#byName ??= byName(this.#nodes));
  }

  /** The solver's view of #nodes (built on first use). */
  #nodeBase: NodeBase | undefined;
  /** Per resource (cpu, memory, pods): indexes of nodes accepting pods, most free first (built on first use). */
  #byFree: number[][] | undefined;
  /**
   * The #byFree of the base this one was carried from, with where its indexes are here (-1: an
   * entry not here) and the indexes of the entries new here, until #byFree is built.
   */
  #freeFrom: { readonly order: readonly number[][]; readonly to: Int32Array; readonly added: readonly number[] } | undefined;
  readonly #carry: BaseCarry | undefined;
  /** #nodes lined up with those of the base carried from (see carriedIndexes), for the next NodeBase. */
  readonly #lineup: NodeLineup | undefined;
  #inFlight: ReadonlySet<string> | undefined;
  #deletingPods: ReadonlySet<string> | undefined;
  #others: OtherPods | undefined;

  constructor(input: SimulationBaseInput) {
    const snapshot = (this.snapshot = input.snapshot);
    this.pools = input.pools;
    this.pending = input.pending;
    this.options = input.options ?? {};
    // Every pod any simulation of the pass may place; bound pods elsewhere get no topology terms.
    const { selectors, keys: movableKeys, topology: terms } = movableTerms(perMachine(input.candidatePods), snapshot.reschedulablePods, input.pending);
    const keys = new Set(movableKeys);
    const entries = (this.#entries = nodeEntries(snapshot.stateNodes, snapshot.solverNodes, selectors));
    const nodes = (this.#nodes = new Array<SolverNode>(entries.length));
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      nodes[i] = entry.node;
      if (entry.antiKeys.length > 0) for (const k of entry.antiKeys) keys.add(k);
    }
    keys.delete(HOSTNAME_LABEL);
    const topology = keys.size > 0 || terms;
    const keyList = [...keys];
    const keyText = (this.#keyText = topology ? JSON.stringify(keyList) : '');
    const count = entries.length;
    this.#carry = input.carry;
    const last = input.carry?.last;
    if (input.carry) input.carry.last = this;
    // Carried ids of signatures no node has any more are dropped once they outnumber the nodes.
    const idsFrom = last !== undefined && last.#keyText === keyText && last.#ids.size <= 2 * count + 64 ? last : undefined;
    const from = idsFrom;
    // Per entry, where the base carried from has the very same entry (-1: nowhere it looked).
    const carried = from ? carriedIndexes(from.#entries, entries) : undefined;
    const aligned = from !== undefined && from.#entries.length === count;
    this.#pinned = aligned ? from.#pinned.slice() : new Uint8Array(count);
    this.#freeCpu = aligned ? from.#freeCpu.slice() : new Float64Array(count);
    this.#freeMemory = aligned ? from.#freeMemory.slice() : new Float64Array(count);
    this.#freePods = aligned ? from.#freePods.slice() : new Float64Array(count);
    this.#signatureId = aligned ? from.#signatureId.slice() : new Int32Array(count);
    const ids = (this.#ids = idsFrom ? idsFrom.#ids : new Map<string, number>());
    const changed: number[] = [];
    // Whether every entry found in the base carried from is at its index there.
    let inPlace = aligned;
    for (let i = 0; i < count; i++) {
      const k = carried ? carried[i]! : -1;
      if (k === i && aligned) continue;
      if (k >= 0) {
        inPlace = false;
        // The same entry elsewhere in the base carried from: its values, moved.
        this.#pinned[i] = from!.#pinned[k]!;
        this.#freeCpu[i] = from!.#freeCpu[k]!;
        this.#freeMemory[i] = from!.#freeMemory[k]!;
        this.#freePods[i] = from!.#freePods[k]!;
        this.#signatureId[i] = from!.#signatureId[k]!;
        continue;
      }
      const e = entries[i]!;
      changed.push(i);
      this.#pinned[i] = e.pinned ? 1 : 0;
      this.#freeCpu[i] = e.freeCpu;
      this.#freeMemory[i] = e.freeMemory;
      this.#freePods[i] = e.freePods;
      this.#signatureId[i] = topology ? e.signatureId(ids, keyList, keyText) : -1;
    }
    this.#signatures = ids.size;
    this.#excludedAt = new Int32Array(count);
    const same = aligned && changed.length === 0;
    this.#fullKeeps = same && from.#signatures === ids.size ? from.#fullKeeps : new Map<string, FullKeep>();
    if (from) this.#carryLazy(from, same, inPlace, changed, carried!);
    this.#lineup = from && carried ? { nodes: from.#nodes, from: carried } : undefined;
  }

  /**
   * Takes what `from` built on first use and still holds here: all of it when the entries are the
   * same (`same`); else its names when every other entry is at its index there (`inPlace`) and the
   * entries at `changed` are of the same names, and its free-room order, to be merged with the
   * entries at `changed` (those not at `carried`, per index the index of the same entry in `from`,
   * -1 for none).
   */
  #carryLazy(from: SimulationBase, same: boolean, inPlace: boolean, changed: readonly number[], carried: Int32Array): void {
    if (same) {
      this.#nodeBase = from.#nodeBase;
      this.#byName = from.#byName;
      this.#byFree = from.#byFree;
      this.#freeFrom = from.#byFree ? undefined : from.#freeFrom;
      return;
    }
    if (inPlace && changed.every((i) => this.#nodes[i]!.name === from.#nodes[i]!.name)) this.#byName = from.#byName;
    if (from.#byFree === undefined) return;
    const to = new Int32Array(from.#nodes.length).fill(-1);
    for (let i = 0; i < carried.length; i++) if (carried[i]! >= 0) to[carried[i]!] = i;
    this.#freeFrom = { order: from.#byFree, to, added: changed };
  }

  /** Whether node i can take no pod needing this much cpu and memory and holds nothing the solver must see. */
  #useless(i: number, minCpu: number, minMemory: number): boolean {
    return this.#pinned[i] === 0 && (this.#freePods[i]! < 1 || this.#freeCpu[i]! < minCpu || this.#freeMemory[i]! < minMemory);
  }

  /** The subset with no node left out, for a smallest pod of this cpu and memory (made on first use). */
  #fullKeep(minCpu: number, minMemory: number): FullKeep {
    const key = `${minCpu},${minMemory}`;
    let full = this.#fullKeeps.get(key);
    if (full !== undefined) return full;
    const count = this.#nodes.length;
    const keep = new Uint8Array(count);
    const useful = new Int32Array(this.#signatures);
    // Carried ids may outnumber the signatures the nodes have: lists only for those they have.
    const droppable = new Array<number[] | undefined>(this.#signatures);
    for (let i = 0; i < count; i++) {
      const sig = this.#signatureId[i]!;
      if (!this.#useless(i, minCpu, minMemory)) {
        keep[i] = 1;
        if (sig >= 0) useful[sig]!++;
      } else if (sig >= 0) (droppable[sig] ??= []).push(i);
    }
    // A signature with no useful node keeps its first droppable one.
    for (let sig = 0; sig < this.#signatures; sig++) {
      const list = droppable[sig];
      if (useful[sig] === 0 && list !== undefined) keep[list[0]!] = 1;
    }
    if (this.#fullKeeps.size >= FULL_KEEPS) this.#fullKeeps.clear();
    this.#fullKeeps.set(key, (full = { keep, useful, droppable: Array.from(droppable, (list) => list && Int32Array.from(list)) }));
    return full;
  }

  /**
   * The solver nodes for one simulation (SolverInput.nodeSubset): all but the leaving ones, and
   * without nodes that can take none of `pods` (they accept no new pod, or lack room for the
   * smallest) and hold no pod the solver must see, provided a kept node registers the same
   * topology domains. `least` is leastRequests(pods), for a caller that knows it already.
   */
  solverNodes(exclude: ReadonlySet<string>, pods: readonly Pod[], least: Least = leastRequests(pods)): NodeSubset {
    const { cpu: minCpu, memory: minMemory } = least;
    // The subset with none left out, corrected for the few left out: no pass over every node.
    const full = this.#fullKeep(minCpu, minMemory);
    const keep = full.keep.slice();
    const stamp = ++this.#stamp;
    const excludedAt = this.#excludedAt;
    const { first, more } = this.#indexOf();
    // Per signature of a left-out node: how many of its useful nodes are left out.
    const lost = new Map<number, number>();
    for (const name of exclude) {
      const i = first.get(name);
      if (i === undefined) continue;
      this.#leave(i, stamp, keep, lost, minCpu, minMemory);
      if (more.size > 0) for (const j of more.get(name) ?? []) this.#leave(j, stamp, keep, lost, minCpu, minMemory);
    }
    // A signature left without a useful node keeps its first droppable node not left out.
    for (const [sig, n] of lost) {
      if (full.useful[sig]! > n) continue;
      const droppable = full.droppable[sig];
      if (droppable === undefined) continue;
      for (let k = 0; k < droppable.length; k++) {
        if (excludedAt[droppable[k]!] === stamp) continue;
        keep[droppable[k]!] = 1;
        break;
      }
    }
    return { base: (this.#nodeBase ??= this.#carry ? this.#carry.nodeBases.next(this.#nodes, this.#lineup) : new NodeBase(this.#nodes)), keep };
  }

  /**
   * The pods every simulation of the base places besides those of the leaving machines: the pods
   * of machines already going away, then the pending pods not among them by key (built on first use).
   */
  get otherPods(): OtherPods {
    return (this.#others ??= otherPods(this.snapshot.reschedulablePods, this.pending));
  }

  /** Leaves node i out of the simulation stamped `stamp` (once), counting in `lost` whether it was useful. */
  #leave(i: number, stamp: number, keep: Uint8Array, lost: Map<number, number>, minCpu: number, minMemory: number): void {
    if (this.#excludedAt[i] === stamp) return;
    this.#excludedAt[i] = stamp;
    keep[i] = 0;
    const sig = this.#signatureId[i]!;
    if (sig >= 0) lost.set(sig, (lost.get(sig) ?? 0) + (this.#useless(i, minCpu, minMemory) ? 0 : 1));
  }

  /** Names of the solver nodes not initialised yet (built on first use). */
  get inFlight(): ReadonlySet<string> {
    return (this.#inFlight ??= new Set(this.snapshot.solverNodes.filter((n) => n.inFlight === true).map((n) => n.name)));
  }

  /** Keys ("namespace/name") of the pods that must leave machines already going away (built on first use). */
  get deletingPods(): ReadonlySet<string> {
    return (this.#deletingPods ??= new Set(this.snapshot.reschedulablePods.map(keyOf)));
  }

  /**
   * The most free cpu, memory and pod slots any initialised node that accepts pods has, leaving out
   * `exclude`: no candidate's pod asking for more of one of them can go to an existing node (a
   * machine in flight does not count for a candidate's pods; see simulate).
   */
  maxFree(exclude: ReadonlySet<string>): { cpu: number; memory: number; pods: number } {
    // The free-room arrays hold free[r] ?? 0 for every node that accepts pods (the only ones kept here).
    const free = [this.#freeCpu, this.#freeMemory, this.#freePods];
    const order = (this.#byFree ??= this.#freeOrder(free));
    return { cpu: this.#best(order[0]!, free[0]!, exclude), memory: this.#best(order[1]!, free[1]!, exclude), pods: this.#best(order[2]!, free[2]!, exclude) };
  }

  /** The room of the first node in `order` not in `exclude` (-Infinity: none). */
  #best(order: readonly number[], room: Float64Array, exclude: ReadonlySet<string>): number {
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      if (!exclude.has(this.#nodes[i]!.name)) return room[i]!;
    }
    return -Infinity;
  }

  /**
   * Per free-room array, the indexes of the nodes that accept pods and are initialised, most free
   * first (ties by index): merged from the order of the base this one was carried from when there
   * is one and every room is finite (the sort's order is then a strict one), else sorted.
   */
  #freeOrder(free: readonly Float64Array[]): number[][] {
    const nodes = this.#nodes;
    const accepts = (i: number): boolean => nodes[i]!.unschedulable !== true && nodes[i]!.inFlight !== true;
    const usable: number[] = [];
    let finite = true;
    for (let i = 0; i < nodes.length; i++) {
      if (!accepts(i)) continue;
      usable.push(i);
      for (let k = 0; finite && k < free.length; k++) finite = Number.isFinite(free[k]![i]);
    }
    const from = this.#freeFrom;
    this.#freeFrom = undefined;
    if (from !== undefined && finite) {
      const added = from.added.filter(accepts);
      return free.map((room, k) => mergeOrder(from.order[k]!, from.to, added, room));
    }
    return free.map((room) => [...usable].sort((a, b) => room[b]! - room[a]!));
  }

  /** The pools for a simulation, their usage relieved of the leaving machines (they are going away). */
  solverPools(leaving: readonly LeavingNode[]): SolverNodePool[] {
    const out: SolverNodePool[] = [];
    for (const pool of this.pools.values()) {
      let usage = this.snapshot.nodePoolUsage.get(pool.name) ?? {};
      for (const l of leaving) if (l.nodePoolName === pool.name) usage = relieved(usage, l.capacity);
      out.push({ nodePool: pool.nodePool, instanceTypes: pool.instanceTypes, usage });
    }
    return out;
  }
}
