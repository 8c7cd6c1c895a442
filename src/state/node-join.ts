/**
 * Joins Nodes and NodeClaims into StateNodeRecords by providerID, and keeps each NodePool's usage
 * (capacity of its machines, and their count) as records change. A claim without a providerID yet
 * (not launched) and a Node without one get a record of their own, re-keyed when the providerID
 * appears, so in-flight capacity is never forgotten nor counted twice.
 */
import type { Node } from '../apis/core.js';
import type { NodeClaim } from '../apis/v1/types.js';
import type { ResourceList } from '../utils/resources.js';
import type { StateNodeContext } from './state-node.js';
import { StateNodeRecord } from './state-node.js';

const nodeId = (n: Node): string => n.spec?.providerID || `node/${n.metadata.name ?? ''}`;
const claimId = (c: NodeClaim): string => c.status?.providerID || `nodeclaim/${c.metadata.name ?? ''}`;

/** Per-NodePool sums of what each record contributes. */
class PoolUsage {
  readonly #byRecord = new Map<string, { pool: string; resources: ResourceList }>();
  readonly #totals = new Map<string, Record<string, number>>();

  set(recordId: string, pool: string | undefined, resources: ResourceList | undefined): void {
    const old = this.#byRecord.get(recordId);
    if (old) this.#add(old.pool, old.resources, -1);
    if (pool === undefined || resources === undefined) {
      this.#byRecord.delete(recordId);
      return;
    }
    this.#byRecord.set(recordId, { pool, resources });
    this.#add(pool, resources, 1);
  }

  get(pool: string): ResourceList {
    return { ...this.#totals.get(pool) };
  }

  pools(): string[] {
    return [...this.#totals.keys()];
  }

  #add(pool: string, r: ResourceList, sign: 1 | -1): void {
    let t = this.#totals.get(pool);
    if (!t) this.#totals.set(pool, (t = {}));
    for (const k in r) {
      const v = (t[k] ?? 0) + sign * r[k]!;
      if (v === 0) delete t[k];
      else t[k] = v;
    }
    if (Object.keys(t).length === 0) this.#totals.delete(pool);
  }
}

/** Versions are unique across joins, so two caches never share one. */
let machinesSeq = 0;

/**
 * What happened to a join's records since the journal was last taken (NodeJoin.takeJournal), so a
 * reader keeping something per record, in values() order, catches up without asking every record.
 * values() holds records in the order they were created (a dropped record never comes back: a
 * record for the same id is a new one), so the order now is the one before without the dropped
 * records, then the created ones still held, in creation order.
 */
export interface RecordJournal {
  /** Records created, in creation order (some may have been dropped since). */
  readonly created: readonly StateNodeRecord[];
  /** Records dropped (some may have been created since the last take). */
  readonly dropped: readonly StateNodeRecord[];
  /** Records whose Node or NodeClaim was set, that is whose version moved (some may have been dropped since). */
  readonly written: ReadonlySet<StateNodeRecord>;
  /** Too much happened to keep (nobody took the journal for long): the reader must look at every record. */
  readonly overflow: boolean;
}

/** A journal is kept up to this many entries beyond four per record held, then given up (overflow). */
const JOURNAL_SLACK = 1024;

export class NodeJoin {
  readonly usage = new PoolUsage();
  #machinesVersion = ++machinesSeq;
  readonly #records = new Map<string, StateNodeRecord>();
  readonly #byNodeName = new Map<string, string>();
  readonly #byClaimName = new Map<string, string>();
  /** status.nodeName of claims whose Node is not (yet) in the cache, so their pods still find them. */
  readonly #byClaimNodeName = new Map<string, string>();
  #created: StateNodeRecord[] = [];
  #dropped: StateNodeRecord[] = [];
  #written = new Set<StateNodeRecord>();
  #overflow = false;

  constructor(readonly ctx: StateNodeContext) {}

  get size(): number {
    return this.#records.size;
  }

  /**
   * Moves whenever a record is added or dropped or a record's name (its Node's, else its
   * NodeClaim's) changes: while it stays, values() yields records with the same names in the same order.
   */
  get machinesVersion(): number {
    return this.#machinesVersion;
  }

  values(): IterableIterator<StateNodeRecord> {
    return this.#records.values();
  }

  /** Whether the record is one values() yields now (it was not dropped). */
  has(rec: StateNodeRecord): boolean {
    return this.#records.get(rec.id) === rec;
  }

  /** What happened to the records since the last call (or since the join was made); starts a new journal. */
  takeJournal(): RecordJournal {
    const journal: RecordJournal = { created: this.#created, dropped: this.#dropped, written: this.#written, overflow: this.#overflow };
    this.#created = [];
    this.#dropped = [];
    this.#written = new Set();
    this.#overflow = false;
    return journal;
  }

  byId(id: string): StateNodeRecord | undefined {
    return this.#records.get(id);
  }

  byNodeName(name: string): StateNodeRecord | undefined {
    const id = this.#byNodeName.get(name);
    return id === undefined ? undefined : this.#records.get(id);
  }

  byClaimName(name: string): StateNodeRecord | undefined {
    const id = this.#byClaimName.get(name);
    return id === undefined ? undefined : this.#records.get(id);
  }

  /** The record pods bound to `nodeName` belong to. */
  byPodNodeName(nodeName: string): StateNodeRecord | undefined {
    return this.byNodeName(nodeName) ?? this.#byIdOf(this.#byClaimNodeName.get(nodeName));
  }

  #byIdOf(id: string | undefined): StateNodeRecord | undefined {
    return id === undefined ? undefined : this.#records.get(id);
  }

  /** Stores the Node; returns its record. */
  upsertNode(node: Node): StateNodeRecord {
    const name = node.metadata.name ?? '';
    const id = nodeId(node);
    const prev = this.#byNodeName.get(name);
    if (prev !== undefined && prev !== id) this.#detach(prev, (r) => this.#rename(r, () => r.setNode(undefined)));
    const rec = this.#getOrCreate(id);
    // Two Nodes claiming one providerID cannot both be that machine: the latest wins.
    const displaced = rec.node?.metadata.name;
    if (displaced !== undefined && displaced !== name) this.#byNodeName.delete(displaced);
    this.#rename(rec, () => rec.setNode(node));
    this.#byNodeName.set(name, id);
    this.#account(rec);
    return rec;
  }

  /** Forgets the Node; returns the record it was in (empty, and gone, if nothing else was). */
  removeNode(node: Node): StateNodeRecord | undefined {
    const name = node.metadata.name ?? '';
    const id = this.#byNodeName.get(name);
    if (id === undefined) return undefined;
    this.#byNodeName.delete(name);
    return this.#detach(id, (r) => this.#rename(r, () => r.setNode(undefined)));
  }

  upsertClaim(claim: NodeClaim): StateNodeRecord {
    const name = claim.metadata.name ?? '';
    const id = claimId(claim);
    const prev = this.#byClaimName.get(name);
    if (prev !== undefined && prev !== id) this.#detach(prev, (r) => this.#setClaim(r, undefined));
    const rec = this.#getOrCreate(id);
    const displaced = rec.nodeClaim?.metadata.name;
    if (displaced !== undefined && displaced !== name) this.#byClaimName.delete(displaced);
    this.#setClaim(rec, claim);
    this.#byClaimName.set(name, id);
    this.#account(rec);
    return rec;
  }

  removeClaim(claim: NodeClaim): StateNodeRecord | undefined {
    const name = claim.metadata.name ?? '';
    const id = this.#byClaimName.get(name);
    if (id === undefined) return undefined;
    this.#byClaimName.delete(name);
    return this.#detach(id, (r) => this.#setClaim(r, undefined));
  }

  #setClaim(rec: StateNodeRecord, claim: NodeClaim | undefined): void {
    const old = rec.nodeClaim?.status?.nodeName;
    if (old !== undefined && this.#byClaimNodeName.get(old) === rec.id) this.#byClaimNodeName.delete(old);
    this.#rename(rec, () => rec.setClaim(claim));
    const now = claim?.status?.nodeName;
    if (now) this.#byClaimNodeName.set(now, rec.id);
  }

  /** Runs a write to the record, moving machinesVersion if its name changed (a new record has none, a dropped one none left). */
  #rename(rec: StateNodeRecord, write: () => void): void {
    const before = rec.machineName;
    write();
    if (!this.#overflow) this.#written.add(rec);
    if (rec.machineName !== before) this.#machinesVersion = ++machinesSeq;
  }

  #getOrCreate(id: string): StateNodeRecord {
    let rec = this.#records.get(id);
    if (!rec) {
      this.#records.set(id, (rec = new StateNodeRecord(id, this.ctx)));
      this.#journal(this.#created, rec);
    }
    return rec;
  }

  #detach(id: string, clear: (r: StateNodeRecord) => void): StateNodeRecord | undefined {
    const rec = this.#records.get(id);
    if (!rec) return undefined;
    clear(rec);
    if (rec.empty) {
      this.#records.delete(id);
      this.#journal(this.#dropped, rec);
    }
    this.#account(rec);
    return rec;
  }

  /** Journals a created or dropped record, giving the journal up once it outgrows the records. */
  #journal(list: StateNodeRecord[], rec: StateNodeRecord): void {
    if (this.#overflow) return;
    list.push(rec);
    if (this.#created.length + this.#dropped.length + this.#written.size > JOURNAL_SLACK + 4 * this.#records.size) {
      this.#overflow = true;
      this.#created = [];
      this.#dropped = [];
      this.#written = new Set();
    }
  }

  #account(rec: StateNodeRecord): void {
    if (rec.empty || !this.#records.has(rec.id)) {
      this.usage.set(rec.id, undefined, undefined);
      return;
    }
    const b = rec.base;
    this.usage.set(rec.id, b.nodePool, { ...b.capacity, nodes: 1 });
  }
}
