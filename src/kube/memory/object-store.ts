/**
 * The embedded cluster's storage: objects per kind, one global resourceVersion counter (like
 * etcd's revision), per-kind indexes (namespace; pods by spec.nodeName) and a bounded per-kind
 * change history that watches replay from.
 *
 * Stored objects are immutable: every write commits a new object (subtrees may be shared with the
 * previous version). Nothing outside the memory client ever sees them uncopied.
 */
import type { KubeObject, Pod } from '../../apis/core.js';
import type { Kind } from '../kinds.js';
import { KINDS } from '../kinds.js';
import { deepFreeze } from './json.js';

/** An object as stored; treat as deeply read-only. */
export type StoredObject = KubeObject & Record<string, unknown>;

/** One committed write, in resourceVersion order. */
export interface Change {
  readonly kind: Kind;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The new state; for DELETED the final state, carrying the deletion's resourceVersion. */
  readonly object: StoredObject;
  /** The state before (absent for ADDED). */
  readonly previous?: StoredObject;
  readonly rv: number;
}

export type ChangeListener = (change: Change) => void;

/** Store key: "namespace/name" for namespaced kinds, "name" otherwise. */
export function storeKey(kind: Kind, name: string, namespace: string | undefined): string {
  return KINDS[kind].namespaced ? `${namespace ?? 'default'}/${name}` : name;
}

export function keyOfStored(kind: Kind, obj: KubeObject): string {
  return storeKey(kind, obj.metadata.name ?? '', obj.metadata.namespace);
}

/** A fixed-capacity ring of changes, oldest first. */
class History {
  readonly #buf: (Change | undefined)[];
  #start = 0;
  #count = 0;
  /** The newest resourceVersion no longer kept; a watch from before it has missed changes. */
  compactedThrough = 0;

  constructor(readonly capacity: number) {
    this.#buf = new Array<Change | undefined>(capacity);
  }

  push(c: Change): void {
    if (this.#count === this.capacity) {
      this.compactedThrough = this.#buf[this.#start]!.rv;
      this.#buf[this.#start] = c;
      this.#start = (this.#start + 1) % this.capacity;
    } else {
      this.#buf[(this.#start + this.#count) % this.capacity] = c;
      this.#count++;
    }
  }

  #at(i: number): Change {
    return this.#buf[(this.#start + i) % this.capacity]!;
  }

  /** Changes with rv > `after`, oldest first. */
  since(after: number): Change[] {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#at(mid).rv <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: Change[] = [];
    for (let i = lo; i < this.#count; i++) out.push(this.#at(i));
    return out;
  }

  clear(through: number): void {
    this.#buf.fill(undefined);
    this.#start = 0;
    this.#count = 0;
    this.compactedThrough = through;
  }
}

class KindTable {
  readonly objects = new Map<string, StoredObject>();
  readonly byNamespace = new Map<string, Set<string>>();
  /** Pods only: spec.nodeName ('' when unbound) → keys. */
  readonly byNodeName = new Map<string, Set<string>>();
  readonly history: History;

  constructor(historyLimit: number) {
    this.history = new History(historyLimit);
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}

const nodeNameOf = (obj: StoredObject): string => (obj as unknown as Pod).spec?.nodeName ?? '';

export interface StoreOptions {
  /** Changes kept per kind for watches to replay; older resourceVersions get 410 Gone. */
  historyLimit: number;
  /** Freeze stored objects so an accidental in-place mutation throws (tests). */
  freeze: boolean;
}

/** What a scan may narrow by, using an index where one exists. */
export interface ScanScope {
  namespace?: string;
  nodeName?: string;
}

export class ObjectStore {
  /** Starts above 0: "0" means "any version" to a watch, so no list may ever return it. */
  #rv = 1;
  readonly #tables = new Map<Kind, KindTable>();
  /** Replaced, never changed in place, so a dispatch can walk it while a listener subscribes or leaves. */
  #listeners: readonly ChangeListener[] = [];
  readonly #pending: Change[] = [];
  #dispatching = false;

  constructor(readonly options: StoreOptions) {
    if (!(options.historyLimit >= 1)) throw new RangeError(`historyLimit must be at least 1, got ${options.historyLimit}`);
  }

  /** The latest committed resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  #table(kind: Kind): KindTable {
    let t = this.#tables.get(kind);
    if (!t) this.#tables.set(kind, (t = new KindTable(this.options.historyLimit)));
    return t;
  }

  get(kind: Kind, key: string): StoredObject | undefined {
    return this.#tables.get(kind)?.objects.get(key);
  }

  count(kind: Kind): number {
    return this.#tables.get(kind)?.objects.size ?? 0;
  }

  /** Objects of a kind, narrowed through the smallest applicable index. */
  *scan(kind: Kind, scope: ScanScope = {}): Generator<StoredObject> {
    const t = this.#tables.get(kind);
    if (!t) return;
    let keys: Iterable<string> | undefined;
    if (kind === 'Pod' && scope.nodeName !== undefined) keys = t.byNodeName.get(scope.nodeName) ?? [];
    else if (KINDS[kind].namespaced && scope.namespace !== undefined) keys = t.byNamespace.get(scope.namespace) ?? [];
    if (!keys) {
      yield* t.objects.values();
      return;
    }
    for (const key of keys) {
      const obj = t.objects.get(key)!;
      if (scope.namespace === undefined || !KINDS[kind].namespaced || obj.metadata.namespace === scope.namespace) yield obj;
    }
  }

  /** Called for every committed change, in resourceVersion order, after the store is updated. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners = this.#listeners.filter((_, j) => j !== i);
    };
  }

  /**
   * Commits a new version (or the deletion) of an object under the next resourceVersion and
   * returns it as stored: `object` itself, its metadata given the resourceVersion. So `object` and
   * its `metadata` must be fresh values, shared with no stored version, that the caller no longer
   * touches (a copy here would copy every write a second time). Its other subtrees may be shared.
   * Listeners run before this returns; writes they make are dispatched after this one.
   */
  commit(kind: Kind, type: Change['type'], object: StoredObject, previous?: StoredObject): StoredObject {
    const rv = ++this.#rv;
    const stored = object;
    stored.metadata.resourceVersion = String(rv);
    if (this.options.freeze) deepFreeze(stored);
    const t = this.#table(kind);
    const key = keyOfStored(kind, stored);
    const namespaced = KINDS[kind].namespaced;
    if (type === 'DELETED') {
      t.objects.delete(key);
      if (namespaced) removeFrom(t.byNamespace, stored.metadata.namespace ?? '', key);
      if (kind === 'Pod' && previous) removeFrom(t.byNodeName, nodeNameOf(previous), key);
    } else {
      t.objects.set(key, stored);
      if (type === 'ADDED' && namespaced) addTo(t.byNamespace, stored.metadata.namespace ?? '', key);
      if (kind === 'Pod') {
        const before = previous ? nodeNameOf(previous) : undefined;
        const after = nodeNameOf(stored);
        if (before !== after) {
          if (before !== undefined) removeFrom(t.byNodeName, before, key);
          addTo(t.byNodeName, after, key);
        }
      }
    }
    const change: Change = previous ? { kind, type, object: stored, previous, rv } : { kind, type, object: stored, rv };
    t.history.push(change);
    this.#pending.push(change);
    this.#dispatch();
    return stored;
  }

  #dispatch(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let c = this.#pending.shift(); c; c = this.#pending.shift()) {
        for (const l of this.#listeners) l(c);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /** Changes of a kind after `rv`, or 'gone' when some of them are no longer kept. */
  changesSince(kind: Kind, rv: number): Change[] | 'gone' {
    const h = this.#table(kind).history;
    if (rv < h.compactedThrough) return 'gone';
    return h.since(rv);
  }

  /** Forgets the history of one kind (or all): watches from any earlier version get Gone. */
  compact(kind?: Kind): void {
    for (const k of kind ? [kind] : [...this.#tables.keys()]) this.#table(k).history.clear(this.#rv);
  }
}
