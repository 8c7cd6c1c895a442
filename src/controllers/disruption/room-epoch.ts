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
  /** Room made on one machine: (epoch, node name), oldest first; trimmed by forgetBefore. */
  #freed: { epoch: number; node: string }[] = [];
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
   * The answer holds until the next change is observed.
   */
  freedRoom(nodes: readonly StateNode[]): FreedRoom {
    return new FreedRoom(this.#freed, nodes);
  }

  /** Drops what happened up to `epoch` (nothing will ask about it any more). */
  forgetUpTo(epoch: number): void {
    let i = 0;
    while (i < this.#freed.length && this.#freed[i]!.epoch <= epoch) i++;
    if (i > 0) this.#freed = this.#freed.slice(i);
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
    this.#freed.push({ epoch: ++this.#epoch, node });
  }
}

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
 * The machines that gained room after some epoch, for one pass: each machine once, at the last
 * epoch it gained room, with its free cpu and memory in the pass's snapshot. A machine where no pod
 * can go now (not in the snapshot, not accepting pods, no pod slot free) is left out: nothing fits
 * on it. Built once per pass, asked once per kept verdict.
 */
export class FreedRoom {
  /** Ascending epochs, one per machine kept, with its name and free cpu and memory. */
  readonly #epochs: number[] = [];
  readonly #names: string[] = [];
  readonly #cpu: number[] = [];
  readonly #memory: number[] = [];

  constructor(log: readonly { readonly epoch: number; readonly node: string }[], nodes: readonly StateNode[]) {
    // Latest epoch per machine: a machine gained room after `epoch` exactly when its latest did.
    const latest = new Map<string, number>();
    for (let i = log.length - 1; i >= 0; i--) if (!latest.has(log[i]!.node)) latest.set(log[i]!.node, log[i]!.epoch);
    if (latest.size === 0) return;
    const byName = new Map<string, StateNode>();
    for (const n of nodes) {
      const name = n.nodeName ?? n.name;
      if (latest.has(name)) byName.set(name, n); // the last of one name wins, as a lookup map would have it
    }
    const kept: { epoch: number; name: string; cpu: number; memory: number }[] = [];
    for (const [name, epoch] of latest) {
      const n = byName.get(name);
      if (n === undefined || !accepts(n)) continue;
      const free = (r: string): number => (n.allocatable[r] ?? 0) - (n.requested[r] ?? 0);
      if (free(PODS) < 1) continue;
      kept.push({ epoch, name, cpu: free(CPU), memory: free(MEMORY) });
    }
    kept.sort((a, b) => a.epoch - b.epoch);
    for (const k of kept) {
      this.#epochs.push(k.epoch);
      this.#names.push(k.name);
      this.#cpu.push(k.cpu);
      this.#memory.push(k.memory);
    }
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
    for (let i = lo; i < epochs.length; i++) {
      if (this.#names[i] === self) continue;
      const cpu = this.#cpu[i]!;
      const memory = this.#memory[i]!;
      for (const p of pods) {
        const r = safePodRequests(p);
        if ((r[CPU] ?? 0) <= cpu && (r[MEMORY] ?? 0) <= memory) return true;
      }
    }
    return false;
  }
}
