/**
 * What the engine measures about the embedded cluster:
 * - for every pod, when it was created, bound and first Running (as the informer saw it, in
 *   virtual ms; API timestamps have only second precision), and when it went; its wait is
 *   Running − created;
 * - a sample every `sampleIntervalMs` of virtual time, from start(): nodes, pods at each stage,
 *   and requested / allocatable cpu and memory, in total and (optionally) per node.
 * Sampling is O(nodes), never O(pods): it reads the node ledger and the stage counters.
 */
import type { Pod } from '../../apis/core.js';
import type { ClusterView } from './cluster-view.js';
import { controllerOf, podStage } from './pod-facts.js';
import { TimerSlot } from './timer-slot.js';

export interface PodTiming {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The kind and name of the pod's controller ("ReplicaSet", "web-x7k2p"), if any. */
  readonly owner?: { readonly kind: string; readonly name: string };
  /** Epoch ms. */
  readonly createdAt: number;
  boundAt?: number;
  runningAt?: number;
  goneAt?: number;
}

export interface NodeUsage {
  readonly name: string;
  readonly ready: boolean;
  /** Millicores. */
  readonly cpuRequested: number;
  readonly cpuAllocatable: number;
  /** Bytes. */
  readonly memoryRequested: number;
  readonly memoryAllocatable: number;
  readonly pods: number;
}

export interface ClusterSample {
  /** Epoch ms. */
  readonly at: number;
  /** Ms since start(). */
  readonly t: number;
  /** Node objects that exist (ready or not). */
  readonly nodes: number;
  readonly readyNodes: number;
  /** Not bound to a node. */
  readonly unscheduledPods: number;
  /** Bound, not yet Running. */
  readonly startingPods: number;
  /** unscheduled + starting. */
  readonly pendingPods: number;
  readonly runningPods: number;
  /** Requests of the pods on existing nodes (millicores / bytes) and those nodes' allocatable. */
  readonly cpuRequested: number;
  readonly cpuAllocatable: number;
  readonly memoryRequested: number;
  readonly memoryAllocatable: number;
  /** Per node, when the recorder keeps node detail. */
  readonly perNode?: readonly NodeUsage[];
}

export interface ClusterMetricsOptions {
  readonly view: ClusterView;
  /** Virtual ms between samples (default 10,000). */
  readonly sampleIntervalMs?: number;
  /** Keep per-node usage in each sample (default false: totals only). */
  readonly perNode?: boolean;
  /** Keep samples in `samples` (default true). */
  readonly keepSamples?: boolean;
  /** Told about every sample as it is taken. */
  readonly onSample?: (s: ClusterSample) => void;
}

export class ClusterMetrics {
  readonly samples: ClusterSample[] = [];
  readonly #o: ClusterMetricsOptions;
  readonly #view: ClusterView;
  readonly #interval: number;
  readonly #timings = new Map<string, PodTiming>();
  readonly #timer: TimerSlot;
  readonly #unsubscribe: () => void;
  #startedAt: number | undefined;

  /** @throws RangeError for a sample interval that is not a positive number. */
  constructor(o: ClusterMetricsOptions) {
    this.#o = o;
    this.#view = o.view;
    this.#interval = o.sampleIntervalMs ?? 10_000;
    if (!(this.#interval > 0 && Number.isFinite(this.#interval))) throw new RangeError(`metrics sampleIntervalMs must be a positive number, got ${this.#interval}`);
    this.#timer = new TimerSlot(o.view.clock, () => this.#tick());
    this.#unsubscribe = o.view.pods.addHandler({
      onAdd: (p) => this.#seen(p),
      onUpdate: (_, p) => this.#seen(p),
      onDelete: (p) => {
        const t = this.#timings.get(p.metadata.uid ?? '');
        if (t && t.goneAt === undefined) t.goneAt = this.#view.clock.now();
      },
    });
  }

  /** Takes a sample now and then every interval. */
  start(): void {
    this.#startedAt = this.#view.clock.now();
    this.#tick();
  }

  stop(): void {
    this.#timer.cancel();
    this.#unsubscribe();
  }

  /** Every pod seen so far, in the order they were first seen. */
  podTimings(): IterableIterator<PodTiming> {
    return this.#timings.values();
  }

  /** Waits (Running − created, ms) of the pods that became Running, optionally filtered. */
  podWaitsMs(filter: (t: PodTiming) => boolean = () => true): number[] {
    const out: number[] = [];
    for (const t of this.#timings.values()) if (t.runningAt !== undefined && filter(t)) out.push(t.runningAt - t.createdAt);
    return out;
  }

  /** The cluster now (does not store it or call onSample). */
  sample(): ClusterSample {
    const now = this.#view.clock.now();
    const stages = this.#view.stageCounts();
    let nodes = 0;
    let ready = 0;
    let cpuRequested = 0;
    let cpuAllocatable = 0;
    let memoryRequested = 0;
    let memoryAllocatable = 0;
    const perNode: NodeUsage[] | undefined = this.#o.perNode ? [] : undefined;
    for (const n of this.#view.ledger.nodes()) {
      if (n.node === undefined) continue;
      nodes++;
      if (n.ready) ready++;
      const cpuReq = n.requested.cpu ?? 0;
      const cpuAlloc = n.allocatable.cpu ?? 0;
      const memReq = n.requested.memory ?? 0;
      const memAlloc = n.allocatable.memory ?? 0;
      cpuRequested += cpuReq;
      cpuAllocatable += cpuAlloc;
      memoryRequested += memReq;
      memoryAllocatable += memAlloc;
      perNode?.push({
        name: n.name, ready: n.ready, cpuRequested: cpuReq, cpuAllocatable: cpuAlloc,
        memoryRequested: memReq, memoryAllocatable: memAlloc, pods: n.pods.size,
      });
    }
    return {
      at: now,
      t: now - (this.#startedAt ?? now),
      nodes,
      readyNodes: ready,
      unscheduledPods: stages.unscheduled,
      startingPods: stages.starting,
      pendingPods: stages.unscheduled + stages.starting,
      runningPods: stages.running,
      cpuRequested, cpuAllocatable, memoryRequested, memoryAllocatable,
      ...(perNode ? { perNode } : {}),
    };
  }

  #tick(): void {
    const s = this.sample();
    if (this.#o.keepSamples ?? true) this.samples.push(s);
    this.#o.onSample?.(s);
    this.#timer.armAt(s.at + this.#interval);
  }

  #seen(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const now = this.#view.clock.now();
    let t = this.#timings.get(uid);
    if (!t) {
      const owner = controllerOf(pod);
      t = {
        uid, namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', createdAt: now,
        ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
      };
      this.#timings.set(uid, t);
    }
    if (t.boundAt === undefined && pod.spec.nodeName) t.boundAt = now;
    if (t.runningAt === undefined && podStage(pod) === 'running') t.runningAt = now;
  }
}
