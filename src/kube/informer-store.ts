/**
 * The local copy an informer keeps: objects by "namespace/name" key, with secondary indexes
 * (pods by spec.nodeName, …) kept up to date on every write, so lookups never scan.
 */
import type { KubeObject, Pod } from '../apis/core.js';

/** The index values of an object (an object may sit under several values, or none). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** Thrown when asking for an index the store was not built with. */
export class UnknownIndexError extends Error {
  constructor(index: string, known: readonly string[]) {
    super(`looking up index "${index}": no such index (known: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownIndexError';
  }
}

/** Index pods by the node they are bound to (unbound pods are not indexed). */
export const POD_NODE_NAME_INDEX = 'spec.nodeName';
export const podNodeNameIndex: IndexFunc<Pod> = (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []);

/** Index namespaced objects by namespace. */
export const NAMESPACE_INDEX = 'metadata.namespace';
export const namespaceIndex: IndexFunc<KubeObject> = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);

/**
 * Objects by key plus indexes. Writes are O(index values of the object); reads by key or index
 * value are O(result). Stored objects are shared with callers: treat them as read-only.
 */
export class IndexedStore<T> {
  readonly #items = new Map<string, T>();
  readonly #indexers: ReadonlyMap<string, IndexFunc<T>>;
  /** index name → index value → the objects under it by key (objects, not keys: a lookup then reads no other map). */
  readonly #indices = new Map<string, Map<string, Map<string, T>>>();
  /** Each index's function beside its map, in a list: every write walks it (a Map's entries() would allocate a pair per index). */
  readonly #writers: readonly { readonly fn: IndexFunc<T>; readonly index: Map<string, Map<string, T>> }[];

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    this.#indexers = new Map(Object.entries(indexers));
    const writers: { fn: IndexFunc<T>; index: Map<string, Map<string, T>> }[] = [];
    for (const [name, fn] of this.#indexers) {
      const index = new Map<string, Map<string, T>>();
      this.#indices.set(name, index);
      writers.push({ fn, index });
    }
    this.#writers = writers;
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.#items.entries();
  }

  /** Stores `obj` under `key`; returns what was there before. */
  set(key: string, obj: T): T | undefined {
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    return old;
  }

  /** Removes the object under `key`; returns it (undefined when absent). */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  /**
   * Objects whose index `index` has `value`.
   * @throws UnknownIndexError when the store has no such index.
   */
  byIndex(index: string, value: string): T[] {
    const objects = this.#lookup(index).get(value);
    return objects ? [...objects.values()] : [];
  }

  /**
   * The values present in an index (e.g. every node name that has pods).
   * @throws UnknownIndexError when the store has no such index.
   */
  indexValues(index: string): string[] {
    return [...this.#lookup(index).keys()];
  }

  #lookup(index: string): Map<string, Map<string, T>> {
    const m = this.#indices.get(index);
    if (!m) throw new UnknownIndexError(index, [...this.#indexers.keys()]);
    return m;
  }

  #index(key: string, obj: T): void {
    for (const { fn, index: m } of this.#writers) {
      for (const v of fn(obj)) {
        let objects = m.get(v);
        if (!objects) m.set(v, (objects = new Map<string, T>()));
        objects.set(key, obj);
      }
    }
  }

  #unindex(key: string, obj: T): void {
    for (const { fn, index: m } of this.#writers) {
      for (const v of fn(obj)) {
        const objects = m.get(v);
        if (!objects) continue;
        objects.delete(key);
        if (objects.size === 0) m.delete(v);
      }
    }
  }
}
