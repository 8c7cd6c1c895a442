/**
 * A counter of the cluster changes that can make room for a candidate's pods, so consolidation can
 * keep its verdicts ("this node cannot go") while nothing of the kind happened. In a busy cluster
 * the cache changes every few milliseconds (pods created, bound, started), and re-simulating every
 * candidate after each such change made single-node consolidation most of a 1,000-node replay.
 *
 * Room made on one machine: a bound pod leaving it (deleted, rebound or finished), the machine
 * becoming initialised, unmarked or uncordoned. Room made anywhere: a pending pod deleted, a change
 * to the spec of a NodePool, DaemonSet, volume or storage class (not to their status, which the
 * controllers keep updating, nor to PodDisruptionBudgets, which decide candidates). Pods arriving on nodes
 * and status updates only take room away, so they do not count; a candidate's own pods are checked
 * separately (candidateSignature). A verdict is kept through room made on machines where none of
 * the candidate's pods fits even now (see DisruptionController). What this misses (a pod arriving
 * elsewhere that evens out a topology spread, a pending pod moving to the freed room and leaving
 * other room to the candidate) is caught by the verdicts' time-to-live.
 */
import type { KubeObject, Pod } from '../../apis/core.js';
import { specKey } from '../../apis/core.js';
import type { StateChange } from '../../state/changes.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import { isTerminal } from '../../state/pod-predicates.js';
import type { StateNode } from '../../state/state-node.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import { stableSince } from './candidates.js';
import type { Candidate } from './types.js';

const leftNode = (pod: Pod, previous: Pod, deleted: boolean): boolean =>
  deleted || pod.spec.nodeName !== previous.spec.nodeName || (isTerminal(pod) && !isTerminal(previous));

export class RoomEpoch {
  #epoch = 0;
  /** The last epoch of a change that can make room anywhere (pools, daemonsets, a pending pod gone...). */
  #global = 0;
  /**
   * Room made on one machine: per machine name, the last epoch it gained room, in ascending epoch
   * order (a machine moves to the end when it gains room again); trimmed by forgetUpTo.
   */
  readonly #freed = new Map<string, number>();
  /** The last snapshot's machine places by name, with its machines version and length (see freedRoom). */
  #places: { readonly version: number; readonly length: number; readonly places: ReadonlyMap<string, number> } | undefined;
  /** Per machine name: its last seen "accepts pods" state. */
  readonly #open = new Map<string, boolean>();
  /** Per object ("Kind/namespace/name"): the JSON of what matters of it, to tell status-only updates. */
  readonly #specs = new Map<string, string>();

  /** Bumped on every change that can make room; compare two readings to learn whether one happened. */
  get value(): number {
    return this.#epoch;
  }

  /** Whether a change that can make room anywhere happened after `epoch`. */
  globalSince(epoch: number): boolean {
    return this.#global > epoch;
  }

  /**
   * The machines that gained room, as a pass sees them in its snapshot's `nodes` (see FreedRoom).
   * The answer holds until the next change is observed. With the snapshot's machinesVersion, the
   * machines' places by name are worked out once per version rather than once per pass.
   */
  freedRoom(nodes: readonly StateNode[], machinesVersion?: number): FreedRoom {
    let places: ReadonlyMap<string, number> | undefined;
    return new FreedRoom(this.#freed, (name) => {
      places ??= this.#placesOf(nodes, machinesVersion);
      let i = places.get(name);
      if (i !== undefined && nameOf(nodes[i]) !== name) {
        // Not the list the version promised: look at this one itself.
        this.#places = undefined;
        places = this.#placesOf(nodes, undefined);
        i = places.get(name);
      }
      return i === undefined ? undefined : nodes[i];
    });
  }

  /** Per machine name, its last place in `nodes`: kept while the machines version is the same (same names, same order). */
  #placesOf(nodes: readonly StateNode[], machinesVersion: number | undefined): ReadonlyMap<string, number> {
    const kept = this.#places;
    if (machinesVersion !== undefined && kept?.version === machinesVersion && kept.length === nodes.length) return kept.places;
    const places = new Map<string, number>();
    for (let i = 0; i < nodes.length; i++) places.set(nameOf(nodes[i])!, i);
    if (machinesVersion !== undefined) this.#places = { version: machinesVersion, length: nodes.length, places };
    return places;
  }

  /** Drops what happened up to `epoch` (nothing will ask about it any more). */
  forgetUpTo(epoch: number): void {
    for (const [node, at] of this.#freed) {
      if (at > epoch) return;
      this.#freed.delete(node);
    }
  }

  /** Feed every cluster state change here (subscribe it to the ClusterState). */
  observe(change: StateChange): void {
    switch (change.type) {
      case 'Pod': {
        const { pod, previous, deleted } = change;
        if (previous === undefined) return;
        const from = previous.spec.nodeName;
        if (from !== undefined) {
          if (leftNode(pod, previous, deleted)) this.#free(from);
        } else if (deleted) this.#global = ++this.#epoch;
        return;
      }
      case 'Node': {
        const n = change.stateNode;
        if (change.deleted) {
          this.#open.delete(n.name);
          return;
        }
        const open = accepts(n);
        const was = this.#open.get(n.name);
        this.#open.set(n.name, open);
        if (open && was !== true) this.#free(n.nodeName ?? n.name);
        return;
      }
      case 'NodePool':
        if (this.#specChanged(`NodePool/${change.nodePool.metadata.name ?? ''}`, change.nodePool, change.deleted)) this.#global = ++this.#epoch;
        return;
      case 'Object': {
        // A PodDisruptionBudget decides which nodes are candidates, not where pods fit.
        if (change.kind === 'PodDisruptionBudget') return;
        const o = change.object;
        if (this.#specChanged(`${change.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o, change.deleted)) this.#global = ++this.#epoch;
        return;
      }
      case 'Synced':
        this.#global = ++this.#epoch;
        return;
      case 'NodeDisrupting':
      case 'PodProvisionable':
      case 'PodUnbound':
        return;
    }
  }

  /** Whether the object's specKey differs from the last seen: status-only updates are no change. */
  #specChanged(key: string, o: KubeObject, deleted: boolean): boolean {
    if (deleted) return this.#specs.delete(key) || true;
    const json = specKey(o);
    if (this.#specs.get(key) === json) return false;
    this.#specs.set(key, json);
    return true;
  }

  #free(node: string): void {
    this.#freed.delete(node);
    this.#freed.set(node, ++this.#epoch);
  }
}

/** The name pods are bound under (a Node's), else the machine's. */
const nameOf = (n: StateNode | undefined): string | undefined => n && (n.nodeName ?? n.name);

/** Whether new pods could go to the machine as far as consolidation counts it. */
const accepts = (n: StateNode): boolean => n.initialized && !n.markedForDeletion && !n.cordoned;

/**
 * What a single-node verdict about the candidate depends on of the candidate itself (verdicts are
 * kept per machine): its offering's price and the last time a pod arrived or left (its pods).
 */
export interface CandidateMark {
  readonly price: number | undefined;
  readonly stableSince: number;
  readonly pods: number;
}

/** The candidate's mark now. */
export function markOf(c: Candidate): CandidateMark {
  return { price: c.price, stableSince: stableSince(c.stateNode), pods: c.reschedulablePods.length };
}

/** Equal numbers, NaN counting as equal to NaN (what comparing their text would say). */
const same = (a: number | undefined, b: number | undefined): boolean => a === b || (a !== a && b !== b);

/** Whether the candidate still has the mark. */
export function hasMark(c: Candidate, m: CandidateMark): boolean {
  return m.pods === c.reschedulablePods.length && same(m.price, c.price) && same(m.stableSince, stableSince(c.stateNode));
}

/**
 * The cpu and memory requests of a pod list, without any request another one of the list is no
 * larger than in both (if a pod fits in some room, so does the smaller one), smallest cpu first.
 */
interface PodShapes {
  readonly cpu: readonly number[];
  readonly memory: readonly number[];
  /** The least cpu and least memory any pod of the list asks for (Infinity for no pods). */
  readonly minCpu: number;
  readonly minMemory: number;
}

/** Per pod list (a candidate's pods are the same list while its pods are): their shapes. */
const shapesByList = new WeakMap<readonly Pod[], PodShapes>();

function shapesOf(pods: readonly Pod[]): PodShapes {
  let s = shapesByList.get(pods);
  if (s === undefined) shapesByList.set(pods, (s = computeShapes(pods)));
  return s;
}

function computeShapes(pods: readonly Pod[]): PodShapes {
  const all = pods.map((p) => {
    const r = safePodRequests(p);
    return { cpu: r[CPU] ?? 0, memory: r[MEMORY] ?? 0 };
  });
  // A shape no larger than another in both is kept over it; of equal shapes the first is kept.
  const kept = all.filter((a, i) => !all.some((b, j) => j !== i && b.cpu <= a.cpu && b.memory <= a.memory
    && (j < i || b.cpu < a.cpu || b.memory < a.memory)));
  return {
    cpu: kept.map((k) => k.cpu),
    memory: kept.map((k) => k.memory),
    minCpu: Math.min(...all.map((a) => a.cpu)),
    minMemory: Math.min(...all.map((a) => a.memory)),
  };
}

/**
 * The machines that gained room after some epoch, for one pass: each machine once, at the last
 * epoch it gained room, with its free cpu and memory in the pass's snapshot. A machine where no pod
 * can go now (not in the snapshot, not accepting pods, no pod slot free) does not count: nothing
 * fits on it. Made once per pass, asked once per kept verdict; a machine's room is read only when
 * an ask reaches back to it (most asks are about the last few machines, since the pass before).
 */
export class FreedRoom {
  /** Ascending epochs, one per machine, and its name. */
  readonly #epochs: number[] = [];
  readonly #names: string[] = [];
  /** The pass's machine of a name (the last of one name in its snapshot), or undefined. */
  readonly #find: (name: string) => StateNode | undefined;
  /** Machines from this place on have their room read: whether they count, their free cpu and memory. */
  #readFrom: number;
  readonly #counts: Uint8Array;
  readonly #cpu: Float64Array;
  readonly #memory: Float64Array;
  /** The most free cpu and memory of the counted machines from each place on (-Infinity: none), so most asks end at once. */
  readonly #maxCpuFrom: Float64Array;
  readonly #maxMemoryFrom: Float64Array;

  /**
   * @param latest per machine name, the last epoch it gained room (a machine gained room after an
   * epoch exactly when its last time did), in ascending epoch order.
   */
  constructor(latest: ReadonlyMap<string, number>, find: (name: string) => StateNode | undefined) {
    for (const [name, epoch] of latest) {
      this.#epochs.push(epoch);
      this.#names.push(name);
    }
    this.#find = find;
    const n = this.#epochs.length;
    this.#readFrom = n;
    this.#counts = new Uint8Array(n);
    this.#cpu = new Float64Array(n);
    this.#memory = new Float64Array(n);
    this.#maxCpuFrom = new Float64Array(n);
    this.#maxMemoryFrom = new Float64Array(n);
  }

  /** Whether some of the pods fits in the free cpu and memory of a machine other than `self` that gained room after `epoch`. */
  fitsSince(epoch: number, pods: readonly Pod[], self: string): boolean {
    const epochs = this.#epochs;
    let lo = 0;
    let hi = epochs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (epochs[mid]! <= epoch) lo = mid + 1;
      else hi = mid;
    }
    if (lo === epochs.length) return false;
    this.#readBackTo(lo);
    const shapes = shapesOf(pods);
    if (shapes.minCpu > this.#maxCpuFrom[lo]! || shapes.minMemory > this.#maxMemoryFrom[lo]!) return false;
    const { cpu: cpus, memory: memories } = shapes;
    for (let i = lo; i < epochs.length; i++) {
      if (this.#counts[i] === 0 || this.#names[i] === self) continue;
      const cpu = this.#cpu[i]!;
      const memory = this.#memory[i]!;
      for (let k = 0; k < cpus.length; k++) if (cpus[k]! <= cpu && memories[k]! <= memory) return true;
    }
    return false;
  }

  /** Reads the room of the machines from `lo` on that are not read yet. */
  #readBackTo(lo: number): void {
    if (lo >= this.#readFrom) return;
    const n = this.#epochs.length;
    let maxCpu = this.#readFrom < n ? this.#maxCpuFrom[this.#readFrom]! : -Infinity;
    let maxMemory = this.#readFrom < n ? this.#maxMemoryFrom[this.#readFrom]! : -Infinity;
    for (let i = this.#readFrom - 1; i >= lo; i--) {
      const node = this.#find(this.#names[i]!);
      const free = (r: string): number => (node!.allocatable[r] ?? 0) - (node!.requested[r] ?? 0);
      if (node !== undefined && accepts(node) && !(free(PODS) < 1)) {
        this.#counts[i] = 1;
        const cpu = (this.#cpu[i] = free(CPU));
        const memory = (this.#memory[i] = free(MEMORY));
        maxCpu = Math.max(maxCpu, cpu);
        maxMemory = Math.max(maxMemory, memory);
      }
      this.#maxCpuFrom[i] = maxCpu;
      this.#maxMemoryFrom[i] = maxMemory;
    }
    this.#readFrom = lo;
  }
}
