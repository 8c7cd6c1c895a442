/**
 * The cache's simple kinds: NodePools, DaemonSets, PodDisruptionBudgets (with their selectors
 * compiled once and grouped by namespace, so finding a pod's budgets is O(budgets in its
 * namespace)), PersistentVolumes and Claims, StorageClasses.
 */
import type {
  DaemonSet, KubeObject, PersistentVolume, PersistentVolumeClaim, Pod, PodDisruptionBudget, StorageClass,
} from '../apis/core.js';
import { keyOf } from '../apis/core.js';
import type { LabelPredicate } from '../apis/selectors.js';
import { compileSelector } from '../apis/selectors.js';
import type { NodePool } from '../apis/v1/types.js';
import type { SimpleKind } from './changes.js';

/** Objects by "namespace/name" (or "name"), with a cached array view. */
export class ObjectMap<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  #list: T[] | undefined;

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    this.#list = undefined;
    return old;
  }

  delete(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    this.#list = undefined;
    return old;
  }

  /** Every object; the same array until the next write (do not mutate it). */
  list(): readonly T[] {
    return (this.#list ??= [...this.#items.values()]);
  }
}

interface PdbEntry {
  readonly pdb: PodDisruptionBudget;
  readonly matches: LabelPredicate;
}

/** PodDisruptionBudgets grouped by namespace with compiled selectors. */
export class PdbIndex extends ObjectMap<PodDisruptionBudget> {
  readonly #byNamespace = new Map<string, Map<string, PdbEntry>>();

  override set(pdb: PodDisruptionBudget): PodDisruptionBudget | undefined {
    const old = super.set(pdb);
    const ns = pdb.metadata.namespace ?? 'default';
    let m = this.#byNamespace.get(ns);
    if (!m) this.#byNamespace.set(ns, (m = new Map<string, PdbEntry>()));
    let matches: LabelPredicate;
    try {
      matches = compileSelector(pdb.spec.selector);
    } catch {
      matches = () => false; // the API server rejects invalid selectors; select nothing if one slips by
    }
    m.set(keyOf(pdb), { pdb, matches });
    return old;
  }

  override delete(pdb: PodDisruptionBudget): PodDisruptionBudget | undefined {
    const old = super.delete(pdb);
    const ns = pdb.metadata.namespace ?? 'default';
    const m = this.#byNamespace.get(ns);
    m?.delete(keyOf(pdb));
    if (m?.size === 0) this.#byNamespace.delete(ns);
    return old;
  }

  /** The budgets selecting this pod (more than one means eviction is refused). */
  forPod(pod: Pod): PodDisruptionBudget[] {
    const m = this.#byNamespace.get(pod.metadata.namespace ?? 'default');
    if (!m) return [];
    const out: PodDisruptionBudget[] = [];
    for (const { pdb, matches } of m.values()) if (matches(pod.metadata.labels)) out.push(pdb);
    return out;
  }
}

/** Every simple kind the cache holds. */
export class ObjectMaps {
  readonly nodePools = new ObjectMap<NodePool>();
  readonly daemonSets = new ObjectMap<DaemonSet>();
  readonly pdbs = new PdbIndex();
  readonly persistentVolumes = new ObjectMap<PersistentVolume>();
  readonly persistentVolumeClaims = new ObjectMap<PersistentVolumeClaim>();
  readonly storageClasses = new ObjectMap<StorageClass>();

  /** The map of a simple kind, typed loosely for generic writes. */
  ofKind(kind: SimpleKind): ObjectMap<KubeObject> {
    const maps = {
      DaemonSet: this.daemonSets, PodDisruptionBudget: this.pdbs, PersistentVolume: this.persistentVolumes,
      PersistentVolumeClaim: this.persistentVolumeClaims, StorageClass: this.storageClasses,
    } as const;
    return maps[kind];
  }
}
