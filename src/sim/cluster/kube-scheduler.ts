/**
 * The embedded cluster's kube-scheduler: places pods that wait for a node (unbound, not being
 * deleted, for the default scheduler) on existing nodes with the solver, which applies every
 * constraint kube-scheduler checks, binds them, and marks the ones that fit nowhere
 * PodScheduled=False reason Unschedulable: what nodewright's provisioner and the Cluster
 * Autoscaler model react to.
 *
 * Passes are coalesced: one runs when pods wait and something happened, at most one per
 * `passIntervalMs` of virtual time. Higher-priority pods are placed first (one solve per priority,
 * each seeing what the previous placed). Pods that did not fit are retried on kube-scheduler's
 * backoff (scheduling-queue.ts). Not modelled: preemption, nominated nodes, scoring beyond
 * least-allocated node order.
 */
import type { Condition, Node, Pod } from '../../apis/core.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverVolumes } from '../../scheduling/types.js';
import { failedToSchedule } from '../../state/pod-predicates.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { ClusterView } from './cluster-view.js';
import { ErrorLog } from './errors.js';
import { safeRequests } from './node-ledger.js';
import type { StandInError } from './errors.js';
import { podStage, usesDefaultScheduler } from './pod-facts.js';
import type { SchedulingQueueOptions } from './scheduling-queue.js';
import { SchedulingQueue } from './scheduling-queue.js';
import type { PlacedPod } from './solver-view.js';
import { SolverNodeBase, SolverNodeMemo, solverNodes } from './solver-view.js';
import { TimerSlot } from './timer-slot.js';
import { UnschedulableMessages } from './unschedulable-message.js';

export interface KubeSchedulerOptions {
  readonly view: ClusterView;
  /** Least virtual time between the starts of two passes (ms; default 1,000). */
  readonly passIntervalMs?: number;
  readonly queue?: SchedulingQueueOptions;
  readonly onError?: (e: StandInError) => void;
}

export interface KubeSchedulerStats {
  passes: number;
  bound: number;
  /** Pods newly marked Unschedulable. */
  markedUnschedulable: number;
  /** Binds refused because the pod was bound or deleted meanwhile. */
  bindConflicts: number;
}

interface Plan {
  binds: { pod: Pod; node: string }[];
  failed: { pod: Pod; requests: PlacedPod['requests'] }[];
  /** Everything placed in the pass, by node (what the failure messages are worked out against). */
  placed: Map<string, PlacedPod[]>;
}

const MAX_MESSAGE = 1024;

export class KubeSchedulerStandIn {
  readonly stats: KubeSchedulerStats = { passes: 0, bound: 0, markedUnschedulable: 0, bindConflicts: 0 };
  readonly errors: ErrorLog;
  readonly #view: ClusterView;
  readonly #interval: number;
  readonly #queue: SchedulingQueue;
  readonly #timer: TimerSlot;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #nodeMemo = new SolverNodeMemo();
  readonly #nodeBase = new SolverNodeBase();
  readonly #messages = new UnschedulableMessages();
  #lastPassAt = -Infinity;
  /** #nextDue's last answer and what it depended on (it scans every waiting pod). */
  #due: { key: string; at: number } | undefined;
  #running = false;
  #stopped = false;

  /** @throws RangeError for a negative interval or bad queue options. */
  constructor(o: KubeSchedulerOptions) {
    this.#view = o.view;
    this.#interval = o.passIntervalMs ?? 1_000;
    if (!(this.#interval >= 0 && Number.isFinite(this.#interval))) throw new RangeError(`kube-scheduler passIntervalMs must be a non-negative number, got ${this.#interval}`);
    this.#queue = new SchedulingQueue(o.queue);
    this.errors = new ErrorLog('kube-scheduler', o.onError);
    this.#timer = new TimerSlot(o.view.clock, () => void this.#pass());
    const v = o.view;
    this.#unsubscribe.push(
      v.pods.addHandler({
        onAdd: (p) => this.#podAdded(p),
        onUpdate: (old, p) => this.#podUpdated(old, p),
        onDelete: (p) => this.#podDeleted(p),
      }),
      v.nodes.addHandler({
        onAdd: () => this.#event(),
        onUpdate: (old, n) => {
          if (nodeChanged(old, n)) this.#event();
        },
        onDelete: () => this.#event(),
      }),
      v.pvcs.addHandler({ onAdd: () => this.#event(), onUpdate: () => this.#event() }),
      v.pvs.addHandler({ onAdd: () => this.#event(), onUpdate: () => this.#event() }),
    );
  }

  /** Stops scheduling (idempotent); a pass in progress finishes its writes. */
  stop(): void {
    this.#stopped = true;
    this.#timer.cancel();
    for (const u of this.#unsubscribe) u();
  }

  /** No pass running and none due within `horizonMs`. */
  isIdle(horizonMs = 0): boolean {
    return !this.#running && this.#timer.idleWithin(horizonMs);
  }

  #podAdded(pod: Pod): void {
    if (podStage(pod) === 'unscheduled') this.#request(true);
  }

  #podUpdated(old: Pod, pod: Pod): void {
    const before = podStage(old);
    const after = podStage(pod);
    if (after === 'unscheduled' && before !== 'unscheduled') this.#request(true);
    // A pod that finished frees its node's room.
    else if (old.spec.nodeName && before !== 'finished' && after === 'finished') this.#event();
  }

  #podDeleted(pod: Pod): void {
    if (pod.spec.nodeName && podStage(pod) !== 'finished') this.#event();
    else this.#queue.forget(pod.metadata.uid ?? '');
  }

  #event(): void {
    this.#queue.noteClusterEvent();
    this.#request(false);
  }

  /** Arms the next pass: at once (after the interval) for a new pod, when some pod is due otherwise. */
  #request(newPod: boolean): void {
    if (this.#stopped || this.#running || this.#view.unscheduledCount === 0) return;
    const earliest = Math.max(this.#view.clock.now(), this.#lastPassAt + this.#interval);
    const armed = this.#timer.at;
    if (armed !== undefined && armed <= earliest) return;
    const at = newPod ? earliest : Math.max(earliest, this.#nextDue());
    if (at !== Infinity) this.#timer.armAt(at);
  }

  #nextDue(): number {
    const key = `${this.#queue.eligibilityKey}/${this.#view.unscheduledVersion}`;
    if (this.#due?.key === key) return this.#due.at;
    let due = Infinity;
    for (const pod of this.#view.unscheduledPods()) {
      if (!usesDefaultScheduler(pod)) continue;
      due = Math.min(due, this.#queue.eligibleAt(pod.metadata.uid ?? ''));
      if (due === -Infinity) break;
    }
    this.#due = { key, at: due };
    return due;
  }

  async #pass(): Promise<void> {
    if (this.#stopped) return;
    this.#running = true;
    const now = this.#view.clock.now();
    this.#lastPassAt = now;
    const seq = this.#queue.eventCount;
    try {
      const waiting: Pod[] = [];
      const keep = new Set<string>();
      for (const pod of this.#view.unscheduledPods()) {
        if (!usesDefaultScheduler(pod)) continue;
        const uid = pod.metadata.uid ?? '';
        keep.add(uid);
        if (this.#queue.eligibleAt(uid) <= now) waiting.push(pod);
      }
      if (this.#queue.size > 2 * keep.size + 100) this.#queue.retain(keep);
      if (waiting.length === 0) return;
      this.stats.passes++;
      const plan = this.#plan(waiting);
      await this.#apply(plan, now, seq);
    } catch (e) {
      this.errors.report('scheduling pending pods', e);
    } finally {
      this.#running = false;
      if (!this.#stopped && this.#view.unscheduledCount > 0) {
        const at = Math.max(this.#view.clock.now(), this.#lastPassAt + this.#interval, this.#nextDue());
        if (at !== Infinity) this.#timer.armAt(at);
      }
    }
  }

  /** Solves priority by priority, highest first; each group sees what the groups before placed. */
  #plan(waiting: Pod[]): Plan {
    const order = waiting.map((pod, i) => ({ pod, i })).sort((a, b) => (b.pod.spec.priority ?? 0) - (a.pod.spec.priority ?? 0) || a.i - b.i);
    const placed = new Map<string, PlacedPod[]>();
    const plan: Plan = { binds: [], failed: [], placed };
    let start = 0;
    while (start < order.length) {
      const priority = order[start]!.pod.spec.priority ?? 0;
      let end = start;
      while (end < order.length && (order[end]!.pod.spec.priority ?? 0) === priority) end++;
      const group = order.slice(start, end).map(({ pod }) => ({ pod, requests: safeRequests(pod) }));
      start = end;
      const { nodes, topology } = solverNodes({ ledger: this.#view.ledger, pods: group, placed, memo: this.#nodeMemo });
      // Every node with selected pods shown, or the nodes with room: two kinds of node objects.
      const subset = this.#nodeBase.subset(nodes, topology ? 'every node' : 'nodes with room');
      const result = solve({ pods: group.map((g) => g.pod), nodePools: [], nodeSubset: subset, volumes: this.#volumesFor(group) });
      const requestsOf = new Map(group.map((g) => [g.pod, g.requests]));
      for (const placement of result.existingNodes) {
        let list = placed.get(placement.node);
        if (!list) placed.set(placement.node, (list = []));
        for (const pod of placement.pods) {
          list.push({ pod, requests: requestsOf.get(pod) ?? safeRequests(pod) });
          plan.binds.push({ pod, node: placement.node });
        }
      }
      for (const u of result.unschedulable) plan.failed.push({ pod: u.pod, requests: requestsOf.get(u.pod) ?? safeRequests(u.pod) });
    }
    return plan;
  }

  #volumesFor(group: readonly PlacedPod[]): SolverVolumes | undefined {
    const pvcs = [];
    const pvs = [];
    for (const { pod } of group) {
      for (const v of pod.spec.volumes ?? []) {
        const claim = v.persistentVolumeClaim?.claimName;
        if (!claim) continue;
        const pvc = this.#view.pvc(pod.metadata.namespace ?? 'default', claim);
        if (!pvc) continue;
        pvcs.push(pvc);
        const pv = pvc.spec.volumeName ? this.#view.pv(pvc.spec.volumeName) : undefined;
        if (pv) pvs.push(pv);
      }
    }
    return pvcs.length === 0 ? undefined : { persistentVolumeClaims: pvcs, persistentVolumes: pvs };
  }

  async #apply(plan: Plan, now: number, seq: number): Promise<void> {
    const kube = this.#view.kube;
    for (const { pod, node } of plan.binds) {
      const uid = pod.metadata.uid ?? '';
      try {
        await kube.bind({ metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid } }, node);
        this.stats.bound++;
        this.#queue.forget(uid);
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) {
          this.stats.bindConflicts++;
          this.#queue.forget(uid);
        } else {
          this.errors.report(`binding pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''} to node ${node}`, e);
          this.#queue.failed(uid, now, seq);
        }
      }
    }
    const messages = new Map<string, string>();
    for (const { pod, requests } of plan.failed) {
      this.#queue.failed(pod.metadata.uid ?? '', now, seq);
      if (failedToSchedule(pod)) continue;
      // Pods of one workload fail alike: one message per shape.
      const shape = JSON.stringify([pod.metadata.namespace, requests, pod.spec.nodeSelector, pod.spec.tolerations, pod.spec.volumes, pod.spec.affinity]);
      let message = messages.get(shape);
      if (message === undefined) messages.set(shape, (message = this.#messages.message(pod, requests, this.#view, plan.placed)));
      await this.#markUnschedulable(pod, message, now);
    }
  }

  async #markUnschedulable(pod: Pod, reason: string, now: number): Promise<void> {
    const condition: Condition = {
      type: 'PodScheduled', status: 'False', reason: 'Unschedulable',
      message: reason.length > MAX_MESSAGE ? `${reason.slice(0, MAX_MESSAGE - 1)}…` : reason,
      lastTransitionTime: formatKubeTime(now),
    };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition];
    try {
      // The resourceVersion guards against undoing a bind that happened since the pod was read.
      await this.#view.kube.patchStatus('Pod', pod.metadata.name ?? '', {
        metadata: { resourceVersion: pod.metadata.resourceVersion },
        status: { conditions },
      }, pod.metadata.namespace);
      this.stats.markedUnschedulable++;
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) {
        this.errors.report(`marking pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''} Unschedulable`, e);
      }
    }
  }
}

/** Whether a node update can change where pods fit. */
function nodeChanged(a: Node, b: Node): boolean {
  const ready = (n: Node): string | undefined => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return ready(a) !== ready(b)
    || a.spec?.unschedulable !== b.spec?.unschedulable
    || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp
    || JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? [])
    || JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {})
    || JSON.stringify(a.status?.allocatable ?? {}) !== JSON.stringify(b.status?.allocatable ?? {});
}
