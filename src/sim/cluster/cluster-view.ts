/**
 * The embedded cluster as its stand-ins see it: one set of informers (pods, nodes, volumes,
 * DaemonSets) shared by the scheduler, the kubelet, the controllers and the metrics, and what they
 * derive from it incrementally: the node ledger, the pods waiting for a node, and how many pods
 * are at each stage.
 *
 * Its own handlers are registered first, so any handler added later sees the ledger and the
 * counts already updated for the event it is handling.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { Informer, POD_NODE_NAME_INDEX, podNodeNameIndex } from '../../kube/informer.js';
import type { InformerError } from '../../kube/informer.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { NodeLedger } from './node-ledger.js';
import type { PodStage } from './pod-facts.js';
import { controllerOf, podStage } from './pod-facts.js';

/** Pods by the uid of their controller (owner reference with controller=true). */
export const POD_CONTROLLER_INDEX = 'controller-uid';

export interface ClusterViewOptions {
  readonly clock: Clock;
  readonly kube: KubeClient;
  /** Told about informer failures (they keep running). */
  readonly onError?: (e: InformerError) => void;
}

type ViewKind = 'Pod' | 'Node' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'DaemonSet';

export type StageCounts = Record<PodStage, number>;

export class ClusterView {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly pods: Informer<'Pod'>;
  readonly nodes: Informer<'Node'>;
  readonly pvcs: Informer<'PersistentVolumeClaim'>;
  readonly pvs: Informer<'PersistentVolume'>;
  readonly daemonSets: Informer<'DaemonSet'>;
  readonly ledger = new NodeLedger();
  /** Pods not bound to a node, not finished, not being deleted, in the order they were seen. */
  readonly #unscheduled = new Map<string, Pod>();
  readonly #stages: StageCounts = { unscheduled: 0, starting: 0, running: 0, terminating: 0, finished: 0 };
  #unscheduledVersion = 0;

  constructor(o: ClusterViewOptions) {
    this.clock = o.clock;
    this.kube = o.kube;
    const common = { clock: o.clock, ...(o.onError ? { onError: o.onError } : {}) };
    this.pods = new Informer(o.kube, 'Pod', {
      ...common,
      indexers: {
        [POD_NODE_NAME_INDEX]: podNodeNameIndex,
        [POD_CONTROLLER_INDEX]: (p) => {
          const c = controllerOf(p);
          return c ? [c.uid] : [];
        },
      },
    });
    this.nodes = new Informer(o.kube, 'Node', common);
    this.pvcs = new Informer(o.kube, 'PersistentVolumeClaim', common);
    this.pvs = new Informer(o.kube, 'PersistentVolume', common);
    this.daemonSets = new Informer(o.kube, 'DaemonSet', common);
    this.pods.addHandler({
      onAdd: (p) => this.#podChanged(undefined, p),
      onUpdate: (old, p) => this.#podChanged(old, p),
      onDelete: (p) => this.#podDeleted(p),
    });
    this.nodes.addHandler({
      onAdd: (n) => this.ledger.setNode(n),
      onUpdate: (_, n) => this.ledger.setNode(n),
      onDelete: (n) => this.ledger.removeNode(n.metadata.name ?? ''),
    });
  }

  /** Starts every informer. @throws InformerError if already started. */
  start(): void {
    for (const i of this.#informers()) i.start();
  }

  /** Resolves once every informer has listed. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.#informers().map((i) => i.waitForSync(signal)));
  }

  hasSynced(): boolean {
    return this.#informers().every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers().map((i) => i.stop()));
  }

  /** Pods waiting for a node (see #unscheduled), oldest first. Do not mutate. */
  unscheduledPods(): IterableIterator<Pod> {
    return this.#unscheduled.values();
  }

  get unscheduledCount(): number {
    return this.#unscheduled.size;
  }

  /** Changes whenever a pod joins or leaves unscheduledPods (not when one of them is updated in place). */
  get unscheduledVersion(): number {
    return this.#unscheduledVersion;
  }

  /** How many pods are at each stage now (pods that are gone are not counted). */
  stageCounts(): Readonly<StageCounts> {
    return this.#stages;
  }

  /** Pods bound to the node (from the informer's index). */
  podsOn(nodeName: string): Pod[] {
    return this.pods.byIndex(POD_NODE_NAME_INDEX, nodeName);
  }

  /** Pods whose controller has this uid. */
  podsOwnedBy(uid: string): Pod[] {
    return this.pods.byIndex(POD_CONTROLLER_INDEX, uid);
  }

  node(name: string): Node | undefined {
    return this.nodes.get(name);
  }

  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.pvcs.get(`${namespace}/${name}`);
  }

  pv(name: string): PersistentVolume | undefined {
    return this.pvs.get(name);
  }

  #informers(): Informer<ViewKind>[] {
    return [this.nodes, this.pvcs, this.pvs, this.daemonSets, this.pods] as Informer<ViewKind>[];
  }

  #podChanged(old: Pod | undefined, pod: Pod): void {
    if (old) this.#stages[podStage(old)]--;
    const stage = podStage(pod);
    this.#stages[stage]++;
    const key = keyOf(pod);
    if (stage === 'unscheduled') {
      const prev = this.#unscheduled.get(key);
      if (!prev || prev.metadata.uid !== pod.metadata.uid) this.#unscheduledVersion++;
      this.#unscheduled.set(key, pod);
    } else if (this.#unscheduled.delete(key)) this.#unscheduledVersion++;
    this.ledger.setPod(pod);
  }

  #podDeleted(pod: Pod): void {
    this.#stages[podStage(pod)]--;
    if (this.#unscheduled.delete(keyOf(pod))) this.#unscheduledVersion++;
    this.ledger.removePod(pod);
  }
}
