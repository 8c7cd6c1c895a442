/**
 * ClusterState: the cache every controller reads. Informers write the API objects into it
 * (`apply` / `remove`, see informers.ts); controllers add what only they know: nominations
 * (capacity promised to pending pods) and marks for deletion. All lookups are by index; a write
 * costs O(1) plus the changed object's own work, so 5,000 nodes and 100,000 pods stay cheap.
 */
import type { KubeObject, Pod, PodDisruptionBudget } from '../apis/core.js';
import { keyOf } from '../apis/core.js';
import type { KindMap } from '../kube/kinds.js';
import { SyncGate } from '../kube/sync-gate.js';
import type { Clock } from '../utils/clock.js';
import type { ResourceList } from '../utils/resources.js';
import type { SimpleKind, StateChange, StateListener } from './changes.js';
import { MachineNotes } from './machine-notes.js';
import { NodeJoin } from './node-join.js';
import { ObjectMaps } from './object-maps.js';
import { PodIndex } from './pod-index.js';
import { isReschedulable } from './pod-predicates.js';
import { listMachines, MachineViews } from './machine-views.js';
import type { ClusterSnapshot, SnapshotOptions } from './snapshot.js';
import { buildSnapshot } from './snapshot.js';
import type { StateNode, StateNodeRecord } from './state-node.js';

/** The kinds the cache holds. */
export type StateKind = 'Node' | 'NodeClaim' | 'Pod' | 'NodePool' | SimpleKind;
export const STATE_KINDS: readonly StateKind[] = [
  'Node', 'NodeClaim', 'Pod', 'NodePool', 'DaemonSet', 'PodDisruptionBudget', 'PersistentVolume', 'PersistentVolumeClaim', 'StorageClass',
];

/**
 * A machine's stored Node and NodeClaim objects, the version of the pair (no two machines share
 * one, and it moves whenever either is set) and its view (see ClusterState.machineRecords).
 */
export type MachineRecord = Pick<StateNodeRecord, 'node' | 'nodeClaim' | 'version' | 'view'>;

export interface ClusterStateOptions {
  clock: Clock;
  /** Told when a listener throws (the change is still delivered to the others). */
  onListenerError?: (error: unknown) => void;
}

export class ClusterState {
  readonly #clock: Clock;
  readonly #onListenerError: ((error: unknown) => void) | undefined;
  readonly #pods = new PodIndex();
  readonly #maps = new ObjectMaps();
  readonly #notes: MachineNotes;
  readonly #join: NodeJoin;
  /** The last snapshot's machines, carried to the next (told every pod and note write). */
  readonly #views = new MachineViews();
  #listeners: readonly StateListener[] = [];
  readonly #sync = new SyncGate('waiting for the cluster state to sync');
  #generation = 0;

  constructor(options: ClusterStateOptions) {
    this.#clock = options.clock;
    this.#onListenerError = options.onListenerError;
    const notes = (this.#notes = new MachineNotes(options.clock));
    this.#join = new NodeJoin({
      podsOn: (n) => this.#pods.onNode(n),
      nominatedUntil: (names) => notes.nominatedUntil(names),
      isMarked: (names) => notes.anyMarked(names),
      lastPodEvent: (n) => notes.lastPodEvent(n),
      notesVersion: () => notes.version,
      now: () => options.clock.now(),
    });
  }

  // ---- sync gate and change notifications

  /** True once every informer feeding the cache has synced. */
  get synced(): boolean {
    return this.#sync.isOpen;
  }

  /** Resolves once synced; rejects with the signal's reason if it aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#sync.wait(signal);
  }

  /** Called by the informer wiring once all informers have synced. */
  markSynced(): void {
    if (this.#sync.open()) this.#emit({ type: 'Synced' });
  }

  /** Bumped on every change: a cheap "did anything change since?" for loops like consolidation. */
  get generation(): number {
    return this.#generation;
  }

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: StateListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  // ---- reads

  /** Every machine, as immutable views. */
  nodes(): StateNode[] {
    const out: StateNode[] = [];
    for (const rec of this.#join.values()) out.push(rec.view());
    return out;
  }

  /**
   * Every machine's stored Node and NodeClaim objects (never write them), in the order of
   * {@link nodes}, with its view built only when asked for: for loops that read a field or two of
   * every machine and need the whole view of only a few (expiration reads each claim's expiry on
   * every pass).
   */
  machineRecords(): Iterable<MachineRecord> {
    return this.#join.values();
  }

  get nodeCount(): number {
    return this.#join.size;
  }

  /** The machine with this Node name, else this NodeClaim name. */
  node(name: string): StateNode | undefined {
    return (this.#join.byNodeName(name) ?? this.#join.byClaimName(name))?.view();
  }

  /**
   * The record of the machine {@link node} finds by `name` (its Node's name, else its NodeClaim's),
   * without building its view: for callers that read only the machine's Node or NodeClaim.
   */
  machineRecord(name: string): MachineRecord | undefined {
    return this.#join.byNodeName(name) ?? this.#join.byClaimName(name);
  }

  nodeByProviderID(providerID: string): StateNode | undefined {
    return this.#join.byId(providerID)?.view();
  }

  /** A pod by "namespace/name". */
  pod(key: string): Pod | undefined {
    return this.#pods.get(key)?.pod;
  }

  get podCount(): number {
    return this.#pods.size;
  }

  /** Non-terminal pods bound to this node name. */
  podsOnNode(nodeName: string): readonly Pod[] {
    return this.#pods.onNode(nodeName)?.activePods() ?? [];
  }

  /** Provisionable pods (see isProvisionable): what to provision for when kube-scheduler binds. */
  pendingPods(): Pod[] {
    return this.#pods.provisionable();
  }

  /** Unbound pods (see isUnbound): what to place with direct binding. */
  unboundPods(): Pod[] {
    return this.#pods.unbound();
  }

  /** Pods that must move off machines marked for deletion, deleting or tainted disrupted. */
  reschedulablePods(): Pod[] {
    const out: Pod[] = [];
    for (const rec of this.#join.values()) {
      if (rec.disrupting()) for (const p of rec.view().pods) if (isReschedulable(p)) out.push(p);
    }
    return out;
  }

  nodePools(): readonly KindMap['NodePool'][] {
    return this.#maps.nodePools.list();
  }

  nodePool(name: string): KindMap['NodePool'] | undefined {
    return this.#maps.nodePools.get(name);
  }

  daemonSets(): readonly KindMap['DaemonSet'][] {
    return this.#maps.daemonSets.list();
  }

  pdbs(): readonly PodDisruptionBudget[] {
    return this.#maps.pdbs.list();
  }

  /** The PodDisruptionBudgets selecting this pod. */
  pdbsFor(pod: Pod): PodDisruptionBudget[] {
    return this.#maps.pdbs.forPod(pod);
  }

  persistentVolumes(): readonly KindMap['PersistentVolume'][] {
    return this.#maps.persistentVolumes.list();
  }

  persistentVolumeClaims(): readonly KindMap['PersistentVolumeClaim'][] {
    return this.#maps.persistentVolumeClaims.list();
  }

  storageClasses(): readonly KindMap['StorageClass'][] {
    return this.#maps.storageClasses.list();
  }

  /** Resources (capacity) and `nodes` of every machine of the pool, deleting ones included. */
  nodePoolUsage(pool: string): ResourceList {
    return this.#join.usage.get(pool);
  }

  /** Whether a nomination on this Node or NodeClaim name is still running. */
  isNominated(name: string): boolean {
    return this.#notes.nominatedUntil([name]) !== undefined;
  }

  /** See ClusterSnapshot. */
  snapshot(options?: SnapshotOptions): ClusterSnapshot {
    const join = this.#join;
    const now = this.#clock.now();
    const exclude = options?.exclude;
    const machines = exclude === undefined ? this.#views.list(join, now) : listMachines(join.values(), exclude);
    return buildSnapshot({
      now, machines, machinesVersion: join.machinesVersion, pods: this.#pods, maps: this.#maps,
      usage: (p) => join.usage.get(p), pools: join.usage.pools(),
    });
  }

  // ---- controller writes (in memory only)

  /**
   * Promises a machine (Node or NodeClaim name, seen yet or not) to pending pods until `untilMs`:
   * it is not a disruption candidate meanwhile. A later end extends; an earlier one is ignored.
   */
  nominate(name: string, untilMs: number): void {
    if (this.#notes.extendsNomination(name, untilMs)) this.#controllerChange(name, () => this.#notes.nominate(name, untilMs));
  }

  /** Marks machines (Node or NodeClaim names) as going away: their pods must move, nothing new goes there. */
  markForDeletion(...names: string[]): void {
    for (const n of names) if (!this.#notes.isMarked(n)) this.#controllerChange(n, () => this.#notes.mark(n));
  }

  /** Undoes markForDeletion (a disruption that was abandoned). */
  unmarkForDeletion(...names: string[]): void {
    for (const n of names) if (this.#notes.isMarked(n)) this.#controllerChange(n, () => this.#notes.unmark(n));
  }

  // ---- informer writes

  /** Stores an added or updated object (informers only). */
  apply<K extends StateKind>(kind: K, obj: KindMap[K]): void {
    this.#write(kind, obj, false);
  }

  /** Forgets a deleted object (informers only). */
  remove<K extends StateKind>(kind: K, obj: KindMap[K]): void {
    this.#write(kind, obj, true);
  }

  #write(kind: StateKind, obj: KubeObject, deleted: boolean): void {
    this.#generation++;
    switch (kind) {
      case 'Pod': return this.#writePod(obj as Pod, deleted);
      case 'Node':
      case 'NodeClaim': return this.#writeMachine(kind, obj, deleted);
      case 'NodePool': {
        const pool = obj as KindMap['NodePool'];
        if (deleted) this.#maps.nodePools.delete(pool);
        else this.#maps.nodePools.set(pool);
        return this.#emit({ type: 'NodePool', nodePool: pool, deleted });
      }
      case 'DaemonSet':
      case 'PodDisruptionBudget':
      case 'PersistentVolume':
      case 'PersistentVolumeClaim':
      case 'StorageClass': {
        const map = this.#maps.ofKind(kind);
        if (deleted) map.delete(obj);
        else map.set(obj);
        return this.#emit({ type: 'Object', kind, object: obj, deleted });
      }
    }
  }

  #writePod(pod: Pod, deleted: boolean): void {
    const { previous, current } = deleted ? this.#pods.remove(keyOf(pod)) : this.#pods.upsert(pod);
    if (!previous && !current) return;
    this.#views.touch(previous?.nodeName);
    this.#views.touch(current?.nodeName);
    // A pod arriving on or leaving a node resets that node's "stable since" clock (consolidateAfter).
    if (current?.nodeName !== undefined && current.counted && (previous?.nodeName !== current.nodeName || !previous.counted)) {
      this.#notes.podEvent(current.nodeName);
    }
    if (previous?.nodeName !== undefined && previous.counted && (current?.nodeName !== previous.nodeName || !current.counted)) {
      this.#notes.podEvent(previous.nodeName);
    }
    this.#emit({ type: 'Pod', pod, previous: previous?.pod, deleted });
    if (current?.unbound && !previous?.unbound) this.#emit({ type: 'PodUnbound', pod });
    if (current?.provisionable && !previous?.provisionable) this.#emit({ type: 'PodProvisionable', pod });
  }

  #writeMachine(kind: 'Node' | 'NodeClaim', obj: KubeObject, deleted: boolean): void {
    const name = obj.metadata.name ?? '';
    const before = kind === 'Node' ? this.#join.byNodeName(name) : this.#join.byClaimName(name);
    const wasDisrupting = before?.disrupting() ?? false;
    // The last view of a machine about to leave, for the forget and the deleted notification.
    const lastView = deleted ? before?.view() : undefined;
    let rec: StateNodeRecord | undefined;
    if (kind === 'Node') rec = deleted ? this.#join.removeNode(obj) : this.#join.upsertNode(obj);
    else rec = deleted ? this.#join.removeClaim(obj as KindMap['NodeClaim']) : this.#join.upsertClaim(obj as KindMap['NodeClaim']);
    if (!rec) return;
    if (rec.empty) {
      this.#notes.forget([lastView!.nodeName, lastView!.nodeClaimName]);
      this.#views.touch(lastView!.nodeName);
      this.#views.touch(lastView!.nodeClaimName);
      return this.#emit({ type: 'Node', stateNode: lastView!, deleted: true });
    }
    if (this.#listeners.length === 0) return;
    const view = rec.view();
    this.#emit({ type: 'Node', stateNode: view, deleted: false });
    if (!wasDisrupting && rec.disrupting()) this.#emit({ type: 'NodeDisrupting', stateNode: view });
  }

  /** A controller changed something about a machine: tell listeners, if it is in the cache. */
  #controllerChange(name: string, change: () => void): void {
    this.#generation++;
    const rec = this.#join.byNodeName(name) ?? this.#join.byClaimName(name);
    const wasDisrupting = rec?.disrupting() ?? false;
    change();
    this.#views.touch(name);
    if (!rec || this.#listeners.length === 0) return;
    const view = rec.view();
    this.#emit({ type: 'Node', stateNode: view, deleted: false });
    if (!wasDisrupting && rec.disrupting()) this.#emit({ type: 'NodeDisrupting', stateNode: view });
  }

  #emit(change: StateChange): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (e) {
        this.#onListenerError?.(e);
      }
    }
  }
}
