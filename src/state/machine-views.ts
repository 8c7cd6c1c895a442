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

/** What MachineViews knows of one record while the cache lists it. */
interface Entry {
  readonly rec: StateNodeRecord;
  /** Its position in the list. */
  at: number;
  /** The record's version when its view was taken. */
  seen: number;
  /** The #reorder that last found it in the cache's records. */
  listed: number;
  /** Its solver node's index in #lists.solverNodes (while #lists is kept and it is not leaving). */
  dense: number;
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
  /** The objectsVersion of the last list: while it stays, no record's version moved. */
  #objectsVersion: number | undefined;
  /**
   * The entry of every record the cache lists, kept from one reorder to the next: a reorder (a
   * machine came or went) then looks each record up instead of building the index again.
   */
  readonly #entries = new Map<StateNodeRecord, Entry>();
  #list: Entry[] = [];
  #reorders = 0;
  /** Per position: the record's view. */
  #views: StateNode[] = [];
  /** Per position: its solver node, or undefined when it is leaving. */
  #solver: (SolverNode | undefined)[] = [];
  /**
   * Names (Node, NodeClaim, the one its pods are bound under) to the records that had them when
   * their views were taken (names a record no longer has only cost a look).
   */
  #byName = new Map<string, StateNodeRecord[]>();
  /** What #sort made of the views and solver nodes, until one of them is taken again or the list reorders. */
  #lists: Omit<MachineLists, 'stateNodes'> | undefined;
  /** Entries whose view shows a nomination (it ends on the clock). */
  readonly #nominated = new Set<Entry>();
  readonly #touched = new Set<string>();
  /** Too many names touched to be worth keeping: the next list looks at every machine. */
  #overflow = false;

  /** Something about the machine of this Node or NodeClaim name (its pods, its notes) changed. */
  touch(name: string | undefined): void {
    if (name === undefined || this.#overflow) return;
    this.#touched.add(name);
    if (this.#touched.size > 1024 + 2 * this.#list.length) {
      this.#overflow = true;
      this.#touched.clear();
    }
  }

  /**
   * What listMachines(records) returns now (fresh arrays; the views and solver nodes are shared).
   * `objectsVersion` moves whenever a Node or NodeClaim is written to the cache (the only way a
   * record's version moves): while it stays, the records' versions are not looked at.
   */
  list(records: () => Iterable<StateNodeRecord>, machinesVersion: number, now: number, objectsVersion: number): MachineLists {
    if (machinesVersion !== this.#machinesVersion) this.#reorder(records(), machinesVersion);
    this.#update(now, objectsVersion);
    const lists = (this.#lists ??= this.#sort());
    return { stateNodes: this.#views.slice(), solverNodes: lists.solverNodes.slice(), reschedulablePods: lists.reschedulablePods.slice() };
  }

  /** The solver nodes and the pods that must move, from the views and solver nodes held now. */
  #sort(): Omit<MachineLists, 'stateNodes'> {
    const solverNodes: SolverNode[] = [];
    const reschedulablePods: Pod[] = [];
    for (let i = 0; i < this.#views.length; i++) {
      const s = this.#solver[i];
      if (s !== undefined) {
        this.#list[i]!.dense = solverNodes.length;
        solverNodes.push(s);
      } else for (const pod of this.#views[i]!.pods) if (isReschedulable(pod)) reschedulablePods.push(pod);
    }
    return { solverNodes, reschedulablePods };
  }

  /** Takes the cache's records in its order, keeping what is known of those it had. */
  #reorder(records: Iterable<StateNodeRecord>, machinesVersion: number): void {
    const stamp = ++this.#reorders;
    this.#lists = undefined;
    const views = this.#views;
    const solver = this.#solver;
    const before = this.#list;
    const list: Entry[] = [];
    this.#list = list;
    this.#views = [];
    this.#solver = [];
    for (const rec of records) {
      const i = list.length;
      const e = this.#entries.get(rec);
      if (e === undefined) {
        const added: Entry = { rec, at: i, seen: 0, listed: stamp, dense: -1 };
        this.#entries.set(rec, added);
        list.push(added);
        this.#refresh(added);
        continue;
      }
      this.#views.push(views[e.at]!);
      this.#solver.push(solver[e.at]);
      e.at = i;
      e.listed = stamp;
      list.push(e);
    }
    if (this.#entries.size > list.length) {
      for (const e of before) {
        if (e.listed === stamp) continue;
        this.#entries.delete(e.rec);
        this.#nominated.delete(e);
      }
    }
    if (this.#byName.size > 1024 + 4 * list.length) this.#reindex();
    this.#machinesVersion = machinesVersion;
  }

  #update(now: number, objectsVersion: number): void {
    const list = this.#list;
    if (this.#overflow) {
      for (const e of list) this.#refresh(e);
    } else {
      if (objectsVersion !== this.#objectsVersion) for (const e of list) if (e.rec.version !== e.seen) this.#refresh(e);
      for (const name of this.#touched) {
        for (const rec of this.#byName.get(name) ?? []) {
          const e = this.#entries.get(rec);
          if (e !== undefined) this.#refresh(e);
        }
      }
    }
    this.#touched.clear();
    this.#overflow = false;
    this.#objectsVersion = objectsVersion;
    for (const e of this.#nominated) {
      if (this.#views[e.at]!.nominatedUntil! <= now) this.#refresh(e);
    }
  }

  /**
   * Takes the view of the entry's record again (what listMachines does for it). A machine staying
   * among the solver nodes only replaces its node in #lists; one joining or leaving them, or
   * leaving still (its pods may have changed), makes #sort run again.
   */
  #refresh(e: Entry): void {
    const rec = e.rec;
    const view = rec.view();
    const before = this.#solver[e.at];
    const solver = isLeaving(view) ? undefined : rec.solverNode(view);
    this.#views[e.at] = view;
    this.#solver[e.at] = solver;
    e.seen = rec.version;
    const lists = this.#lists;
    if (lists !== undefined && before !== undefined && solver !== undefined) lists.solverNodes[e.dense] = solver;
    else this.#lists = undefined;
    if (view.nominatedUntil !== undefined) this.#nominated.add(e);
    else this.#nominated.delete(e);
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
    for (const e of this.#list) this.#indexNames(e.rec);
  }
}
