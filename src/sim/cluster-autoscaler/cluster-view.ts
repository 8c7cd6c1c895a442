/**
 * What the Cluster Autoscaler sees of the cluster: informers on Nodes, Pods, PodDisruptionBudgets
 * and DaemonSets, the pods kube-scheduler marked Unschedulable, and per node the solver's view of
 * it (labels, taints, allocatable, bound pods), rebuilt only for nodes whose objects changed. A
 * generation counter moves on every change that could alter a scheduling simulation, so callers
 * can reuse results while it stands still.
 */
import type { DaemonSet, Node, Pod, PodDisruptionBudget } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { Informer, POD_NODE_NAME_INDEX, podNodeNameIndex } from '../../kube/informer.js';
import type { InformerError } from '../../kube/informer.js';
import type { KubeClient } from '../../kube/types.js';
import type { SolverVolumes } from '../../scheduling/types.js';
import { isTerminal } from '../../state/pod-predicates.js';
import type { Clock } from '../../utils/clock.js';
import type { ViewNode } from './view-node.js';
import { buildViewNode, isUnschedulable, schedulingKey } from './view-node.js';

export type { ViewNode } from './view-node.js';

export interface ClusterViewOptions {
  readonly clock: Clock;
  /** A pod was newly marked Unschedulable (the loop trigger's pod observer). */
  readonly onUnschedulablePod?: () => void;
  /** A Node appeared (for the kubelet's registration taints). */
  readonly onNodeAdded?: (node: Node) => void;
  readonly onError?: (e: InformerError) => void;
}

export class ClusterView {
  readonly #nodes: Informer<'Node'>;
  readonly #pods: Informer<'Pod'>;
  readonly #pdbs: Informer<'PodDisruptionBudget'>;
  readonly #daemonSets: Informer<'DaemonSet'>;
  readonly #pvs: Informer<'PersistentVolume'>;
  readonly #pvcs: Informer<'PersistentVolumeClaim'>;
  readonly #storageClasses: Informer<'StorageClass'>;
  #volumes: { generation: number; volumes: SolverVolumes } | undefined;
  #volumeGeneration = 0;
  readonly #o: ClusterViewOptions;
  /** Pods marked Unschedulable by key, and the same kept sorted as unschedulablePods() returns them. */
  readonly #unschedulable = new Map<string, PendingEntry>();
  readonly #unschedulableSorted: PendingEntry[] = [];
  /** Moves whenever a pod joins, leaves or is replaced in `#unschedulable`. */
  #unschedulableVersion = 0;
  #unschedulableList: { version: number; pods: readonly Pod[] } | undefined;
  readonly #cache = new Map<string, ViewNode>();
  #generation = 0;
  #daemonSetGeneration = 0;
  /** Moves on every change to a cached node view (including ones that leave `generation` alone). */
  #viewVersion = 0;
  #sorted: { version: number; nodes: ViewNode[]; antiAffinity: boolean } | undefined;

  constructor(kube: KubeClient, options: ClusterViewOptions) {
    this.#o = options;
    const common = { clock: options.clock, onError: options.onError };
    this.#nodes = new Informer(kube, 'Node', common);
    this.#pods = new Informer(kube, 'Pod', { ...common, indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex } });
    this.#pdbs = new Informer(kube, 'PodDisruptionBudget', common);
    this.#daemonSets = new Informer(kube, 'DaemonSet', common);
    this.#pvs = new Informer(kube, 'PersistentVolume', common);
    this.#pvcs = new Informer(kube, 'PersistentVolumeClaim', common);
    this.#storageClasses = new Informer(kube, 'StorageClass', common);
    this.#nodes.addHandler({
      onAdd: (n) => {
        this.#nodeChanged(n);
        this.#o.onNodeAdded?.(n);
      },
      onUpdate: (o, n) => {
        // A change no simulation sees (a soft taint, a heartbeat) refreshes the node's view only.
        if (schedulingKey(o) === schedulingKey(n)) this.#invalidate(n.metadata.name ?? '');
        else this.#nodeChanged(n);
      },
      onDelete: (n) => this.#nodeChanged(n),
    });
    this.#pods.addHandler({
      onAdd: (p) => this.#podChanged(undefined, p),
      onUpdate: (o, p) => this.#podChanged(o, p),
      onDelete: (p) => this.#podChanged(p, undefined),
    });
    const bump = (): void => void this.#generation++;
    this.#pdbs.addHandler({ onAdd: bump, onUpdate: bump, onDelete: bump });
    const dsBump = (): void => {
      this.#generation++;
      this.#daemonSetGeneration++;
    };
    this.#daemonSets.addHandler({ onAdd: dsBump, onUpdate: dsBump, onDelete: dsBump });
    const volumeBump = (): void => {
      this.#generation++;
      this.#volumeGeneration++;
    };
    const onVolume = { onAdd: volumeBump, onUpdate: volumeBump, onDelete: volumeBump };
    this.#pvs.addHandler(onVolume);
    this.#pvcs.addHandler(onVolume);
    this.#storageClasses.addHandler(onVolume);
  }

  start(): void {
    for (const i of this.#informers()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers().map((i) => i.stop()));
  }

  /** Resolves once every informer has synced. @throws InformerError when one stops first. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.#informers().map((i) => i.waitForSync()));
  }

  get synced(): boolean {
    return this.#informers().every((i) => i.hasSynced());
  }

  /** Moves whenever nodes, bound pods, budgets or daemonsets change. */
  get generation(): number {
    return this.#generation;
  }

  /** Moves whenever a DaemonSet changes. */
  get daemonSetGeneration(): number {
    return this.#daemonSetGeneration;
  }

  /** Every node, by name. The array is shared until the next change: do not modify it. */
  nodes(): readonly ViewNode[] {
    return this.#current().nodes;
  }

  /** Whether some bound pod has required pod anti-affinity (then simulations need full nodes). */
  hasRequiredAntiAffinity(): boolean {
    return this.#current().antiAffinity;
  }

  #current(): { nodes: ViewNode[]; antiAffinity: boolean } {
    if (this.#sorted?.version !== this.#viewVersion) {
      const nodes = this.#nodes.list().map((n) => this.#viewOf(n)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.#sorted = { version: this.#viewVersion, nodes, antiAffinity: nodes.some((v) => v.antiAffinityPods > 0) };
    }
    return this.#sorted;
  }

  node(name: string): ViewNode | undefined {
    const n = this.#nodes.getByName(name);
    return n ? this.#viewOf(n) : undefined;
  }

  /**
   * Pods marked Unschedulable, oldest first (then by namespace/name). The array is shared until
   * the set changes: do not modify it.
   */
  unschedulablePods(): readonly Pod[] {
    if (this.#unschedulableList?.version !== this.#unschedulableVersion) {
      this.#unschedulableList = { version: this.#unschedulableVersion, pods: this.#unschedulableSorted.map((e) => e.pod) };
    }
    return this.#unschedulableList.pods;
  }

  /** The pod as the informer last saw it. */
  pod(namespace: string, name: string): Pod | undefined {
    return this.#pods.getByName(name, namespace);
  }

  podDisruptionBudgets(): PodDisruptionBudget[] {
    return this.#pdbs.list();
  }

  /** Volumes, claims and storage classes, for the solver's volume topology. */
  volumes(): SolverVolumes {
    if (this.#volumes?.generation !== this.#volumeGeneration) {
      this.#volumes = {
        generation: this.#volumeGeneration,
        volumes: { persistentVolumes: this.#pvs.list(), persistentVolumeClaims: this.#pvcs.list(), storageClasses: this.#storageClasses.list() },
      };
    }
    return this.#volumes.volumes;
  }

  daemonSets(): DaemonSet[] {
    return this.#daemonSets.list().sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  }

  #informers(): Pick<Informer<'Node'>, 'start' | 'stop' | 'hasSynced' | 'waitForSync'>[] {
    return [this.#nodes, this.#pods, this.#pdbs, this.#daemonSets, this.#pvs, this.#pvcs, this.#storageClasses];
  }

  #nodeChanged(n: Node): void {
    this.#generation++;
    this.#invalidate(n.metadata.name ?? '');
  }

  #invalidate(node: string): void {
    this.#cache.delete(node);
    this.#viewVersion++;
  }

  #podChanged(old: Pod | undefined, pod: Pod | undefined): void {
    const key = keyOf((pod ?? old)!);
    if (pod && isUnschedulable(pod)) {
      const was = this.#unschedulable.has(key);
      this.#setUnschedulable(key, pod);
      if (!was) this.#o.onUnschedulablePod?.();
    } else {
      this.#dropUnschedulable(key);
    }
    const oldNode = old?.spec.nodeName;
    const newNode = pod?.spec.nodeName;
    if (!oldNode && !newNode) return;
    if (old && pod && oldNode === newNode && sameForSimulation(old, pod)) {
      // Only conditions changed: the node's pods are the same to a simulation, but the cached
      // objects must be the current ones.
      this.#invalidate(newNode!);
      return;
    }
    this.#generation++;
    if (oldNode) this.#invalidate(oldNode);
    if (newNode) this.#invalidate(newNode);
  }

  // The sorted list is kept one insertion or removal at a time: pods are marked Unschedulable one
  // after another, each triggering a pass that reads the whole list.
  #setUnschedulable(key: string, pod: Pod): void {
    this.#unschedulableVersion++;
    const ts = pod.metadata.creationTimestamp ?? '';
    const had = this.#unschedulable.get(key);
    if (had && had.ts === ts) {
      had.pod = pod;
      return;
    }
    if (had) this.#dropUnschedulable(key);
    const entry: PendingEntry = { key, ts, pod };
    this.#unschedulable.set(key, entry);
    this.#unschedulableSorted.splice(this.#position(entry), 0, entry);
  }

  #dropUnschedulable(key: string): void {
    const entry = this.#unschedulable.get(key);
    if (!entry) return;
    this.#unschedulableVersion++;
    this.#unschedulable.delete(key);
    const i = this.#position(entry);
    if (this.#unschedulableSorted[i] === entry) this.#unschedulableSorted.splice(i, 1);
  }

  /** Where `entry` is, or would go, in the sorted list (binary search on creation time, then key). */
  #position(entry: PendingEntry): number {
    const list = this.#unschedulableSorted;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pendingBefore(list[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #viewOf(node: Node): ViewNode {
    const name = node.metadata.name ?? '';
    const cached = this.#cache.get(name);
    if (cached && cached.node === node) return cached;
    const pods = this.#pods.byIndex(POD_NODE_NAME_INDEX, name).filter((p) => !isTerminal(p));
    pods.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const view = buildViewNode(node, pods);
    this.#cache.set(name, view);
    return view;
  }
}

interface PendingEntry {
  readonly key: string;
  /** metadata.creationTimestamp ('' when absent): RFC 3339 at second precision sorts as text. */
  readonly ts: string;
  pod: Pod;
}

function pendingBefore(a: PendingEntry, b: PendingEntry): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.key < b.key);
}

function sameForSimulation(a: Pod, b: Pod): boolean {
  return isTerminal(a) === isTerminal(b)
    && !!a.metadata.deletionTimestamp === !!b.metadata.deletionTimestamp
    && a.status?.phase === b.status?.phase
    && JSON.stringify(a.metadata.annotations ?? {}) === JSON.stringify(b.metadata.annotations ?? {});
}
