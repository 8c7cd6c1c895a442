/**
 * The machines part of a cluster snapshot (every machine's view, the solver's nodes, the pods that
 * must move), carried from one snapshot to the next: a snapshot looks again only at machines whose
 * objects, pods, notes or nomination may have changed since the last, instead of asking every
 * machine whether it did (a disruption pass, its validation and every provisioning round snapshot
 * about 1,000 machines, few of which changed).
 */
import type { Pod } from '../apis/core.js';
import type { SolverNode } from '../scheduling/types.js';
import { isReschedulable } from './pod-predicates.js';
import type { StateNode, StateNodeRecord } from './state-node.js';

/** What a snapshot lists about machines, in the cache's order. */
export interface MachineLists {
  readonly stateNodes: StateNode[];
  readonly solverNodes: SolverNode[];
  readonly reschedulablePods: Pod[];
}

/** Marked for deletion, deleting, tainted disrupted or named in `exclude`: its reschedulable pods must move. */
function isLeaving(view: StateNode, exclude?: ReadonlySet<string>): boolean {
  return view.markedForDeletion || view.disrupted
    || (exclude !== undefined && ((view.nodeName !== undefined && exclude.has(view.nodeName))
      || (view.nodeClaimName !== undefined && exclude.has(view.nodeClaimName))));
}

/**
 * Sorts machines as a snapshot does: a machine marked for deletion, deleting, tainted disrupted or
 * named in `exclude` is leaving (its reschedulable pods must move); the others are solver nodes.
 */
export function listMachines(records: Iterable<StateNodeRecord>, exclude?: ReadonlySet<string>): MachineLists {
  const stateNodes: StateNode[] = [];
  const solverNodes: SolverNode[] = [];
  const reschedulablePods: Pod[] = [];
  for (const rec of records) {
    const view = rec.view();
    stateNodes.push(view);
    if (!isLeaving(view, exclude)) {
      solverNodes.push(rec.solverNode(view));
      continue;
    }
    for (const pod of view.pods) if (isReschedulable(pod)) reschedulablePods.push(pod);
  }
  return { stateNodes, solverNodes, reschedulablePods };
}

/**
 * listMachines without `exclude`, kept between calls. The cache tells it (touch) every Node or
 * NodeClaim name whose pods or notes changed; a record's own objects are told by its version; the
 * list of records by the cache's machinesVersion. Those, and the end of a nomination, are
 * everything a view is built from (see StateNodeRecord.view), so a machine none of them names
 * keeps the view, and solver node, it had.
 */
export class MachineViews {
  #machinesVersion: number | undefined;
  #records: StateNodeRecord[] = [];
  /** Each record's position in #records. */
  #at = new Map<StateNodeRecord, number>();
  /** Per position: the record's version when its view was taken. */
  #seen: number[] = [];
  #views: StateNode[] = [];
  /** Per position: its solver node, or undefined when it is leaving. */
  #solver: (SolverNode | undefined)[] = [];
  /**
   * Names (Node, NodeClaim, the one its pods are bound under) to the records that had them when
   * their views were taken (names a record no longer has only cost a look).
   */
  #byName = new Map<string, StateNodeRecord[]>();
  /** Records whose view shows a nomination (it ends on the clock). */
  readonly #nominated = new Set<StateNodeRecord>();
  readonly #touched = new Set<string>();
  /** Too many names touched to be worth keeping: the next list looks at every machine. */
  #overflow = false;

  /** Something about the machine of this Node or NodeClaim name (its pods, its notes) changed. */
  touch(name: string | undefined): void {
    if (name === undefined || this.#overflow) return;
    this.#touched.add(name);
    if (this.#touched.size > 1024 + 2 * this.#records.length) {
      this.#overflow = true;
      this.#touched.clear();
    }
  }

  /** What listMachines(records) returns now (fresh arrays; the views and solver nodes are shared). */
  list(records: () => Iterable<StateNodeRecord>, machinesVersion: number, now: number): MachineLists {
    if (machinesVersion !== this.#machinesVersion) this.#reorder(records(), machinesVersion);
    this.#update(now);
    const solverNodes: SolverNode[] = [];
    const reschedulablePods: Pod[] = [];
    for (let i = 0; i < this.#views.length; i++) {
      const s = this.#solver[i];
      if (s !== undefined) solverNodes.push(s);
      else for (const pod of this.#views[i]!.pods) if (isReschedulable(pod)) reschedulablePods.push(pod);
    }
    return { stateNodes: this.#views.slice(), solverNodes, reschedulablePods };
  }

  /** Takes the cache's records in its order, keeping what is known of those it had. */
  #reorder(records: Iterable<StateNodeRecord>, machinesVersion: number): void {
    const old = { at: this.#at, seen: this.#seen, views: this.#views, solver: this.#solver };
    this.#records = [...records];
    this.#at = new Map();
    this.#seen = [];
    this.#views = [];
    this.#solver = [];
    for (let i = 0; i < this.#records.length; i++) {
      const rec = this.#records[i]!;
      this.#at.set(rec, i);
      const j = old.at.get(rec);
      if (j === undefined) {
        this.#refresh(i);
        continue;
      }
      this.#seen[i] = old.seen[j]!;
      this.#views[i] = old.views[j]!;
      this.#solver[i] = old.solver[j];
    }
    for (const rec of this.#nominated) if (!this.#at.has(rec)) this.#nominated.delete(rec);
    if (this.#byName.size > 1024 + 4 * this.#records.length) this.#reindex();
    this.#machinesVersion = machinesVersion;
  }

  #update(now: number): void {
    if (this.#overflow) {
      for (let i = 0; i < this.#records.length; i++) this.#refresh(i);
    } else {
      for (let i = 0; i < this.#records.length; i++) if (this.#records[i]!.version !== this.#seen[i]) this.#refresh(i);
      for (const name of this.#touched) {
        for (const rec of this.#byName.get(name) ?? []) {
          const i = this.#at.get(rec);
          if (i !== undefined) this.#refresh(i);
        }
      }
    }
    this.#touched.clear();
    this.#overflow = false;
    for (const rec of this.#nominated) {
      const i = this.#at.get(rec)!;
      if (this.#views[i]!.nominatedUntil! <= now) this.#refresh(i);
    }
  }

  /** Takes the view of the record at position i again (what listMachines does for it). */
  #refresh(i: number): void {
    const rec = this.#records[i]!;
    const view = rec.view();
    this.#views[i] = view;
    this.#seen[i] = rec.version;
    this.#solver[i] = isLeaving(view) ? undefined : rec.solverNode(view);
    if (view.nominatedUntil !== undefined) this.#nominated.add(rec);
    else this.#nominated.delete(rec);
    this.#indexNames(rec);
  }

  #indexNames(rec: StateNodeRecord): void {
    for (const name of rec.names) this.#index(name, rec);
    const podName = rec.podNodeName;
    if (podName !== undefined) this.#index(podName, rec);
  }

  #index(name: string, rec: StateNodeRecord): void {
    const recs = this.#byName.get(name);
    if (recs === undefined) this.#byName.set(name, [rec]);
    else if (!recs.includes(rec)) recs.push(rec);
  }

  /** Drops the names of records gone and names records no longer have. */
  #reindex(): void {
    this.#byName = new Map();
    for (const rec of this.#records) this.#indexNames(rec);
  }
}
