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
import type { RecordJournal } from './node-join.js';
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

/** The cache's records as MachineViews follows them (NodeJoin). */
export interface MachineRecords {
  values(): Iterable<StateNodeRecord>;
  /** Whether values() yields the record now. */
  has(rec: StateNodeRecord): boolean;
  /** What happened to the records since the last call. */
  takeJournal(): RecordJournal;
}

/** What MachineViews knows of one record while the cache lists it. */
interface Entry {
  readonly rec: StateNodeRecord;
  /** Its position in the list; -1 once dropped. */
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
 * NodeClaim name whose pods or notes changed; the records' journal tells which records came, went
 * or had their objects set. Those, and the end of a nomination, are everything a view is built from
 * (see StateNodeRecord.view), so a machine none of them names keeps the view, and solver node, it
 * had, and a snapshot costs what changed since the last, not a look at every machine.
 */
export class MachineViews {
  /** Whether the list was ever taken from the records (before that, the journal says too little). */
  #started = false;
  /**
   * The entry of every record the cache lists, kept from one reorder to the next: a reorder (the
   * journal overflowed) then looks each record up instead of building the index again.
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

  /** What listMachines(records.values()) returns now (fresh arrays; the views and solver nodes are shared). */
  list(records: MachineRecords, now: number): MachineLists {
    const journal = records.takeJournal();
    if (journal.overflow || !this.#started) {
      this.#reorder(records.values());
      this.#update(now, undefined);
      this.#started = true;
    } else {
      if (journal.dropped.length > 0) this.#drop(journal.dropped);
      for (const rec of journal.created) if (records.has(rec)) this.#append(rec);
      this.#update(now, journal.written);
    }
    if (this.#byName.size > 1024 + 4 * this.#list.length) this.#reindex();
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
  #reorder(records: Iterable<StateNodeRecord>): void {
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
        this.#append(rec);
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
  }

  /** Lists a record the cache added after those listed (its view taken now). */
  #append(rec: StateNodeRecord): void {
    const e: Entry = { rec, at: this.#list.length, seen: 0, listed: this.#reorders, dense: -1 };
    this.#entries.set(rec, e);
    this.#list.push(e);
    this.#refresh(e);
  }

  /** Unlists the records the cache dropped, keeping the order of the others. */
  #drop(dropped: readonly StateNodeRecord[]): void {
    let from = this.#list.length;
    for (const rec of dropped) {
      const e = this.#entries.get(rec);
      if (e === undefined) continue;
      this.#entries.delete(rec);
      this.#nominated.delete(e);
      from = Math.min(from, e.at);
      e.at = -1;
    }
    const list = this.#list;
    if (from === list.length) return;
    this.#lists = undefined;
    let to = from;
    for (let i = from; i < list.length; i++) {
      const e = list[i]!;
      if (e.at < 0) continue;
      list[to] = e;
      this.#views[to] = this.#views[i]!;
      this.#solver[to] = this.#solver[i];
      e.at = to++;
    }
    list.length = to;
    this.#views.length = to;
    this.#solver.length = to;
  }

  /** Takes again the views of records written (`undefined`: ask every record), touched or whose nomination ended. */
  #update(now: number, written: ReadonlySet<StateNodeRecord> | undefined): void {
    if (this.#overflow) {
      for (const e of this.#list) this.#refresh(e);
    } else {
      if (written === undefined) {
        for (const e of this.#list) if (e.rec.version !== e.seen) this.#refresh(e);
      } else {
        for (const rec of written) {
          const e = this.#entries.get(rec);
          if (e !== undefined && rec.version !== e.seen) this.#refresh(e);
        }
      }
      for (const name of this.#touched) {
        for (const rec of this.#byName.get(name) ?? []) {
          const e = this.#entries.get(rec);
          if (e !== undefined) this.#refresh(e);
        }
      }
    }
    this.#touched.clear();
    this.#overflow = false;
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
