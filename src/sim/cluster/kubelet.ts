/**
 * The kubelets of the embedded cluster, and the pod garbage collector:
 * - a pod bound to a Ready node becomes Running (phase, startTime, conditions PodScheduled,
 *   Initialized, ContainersReady and Ready True) after a start delay drawn from a distribution,
 *   counted from the later of its binding and its node turning Ready;
 * - a Running pod with a run duration (annotations.ts) completes (phase Succeeded) that long after
 *   it started;
 * - a pod bound to a node that does not exist is deleted at once (grace 0) after `orphanGcDelayMs`
 *   if the node has not appeared meanwhile (kube-controller-manager's PodGC quarantine, 40 s).
 * Graceful deletions are finished by the memory API server itself (its kubelet emulation).
 */
import type { Condition, Pod, PodStatus } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { Distribution } from '../scenario/types.js';
import { sampleDistribution } from '../scenario/distribution.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { Random } from '../../utils/random.js';
import { runDurationMs } from './annotations.js';
import type { ClusterView } from './cluster-view.js';
import { ErrorLog } from './errors.js';
import type { StandInError } from './errors.js';
import { isNodeReady, podStage } from './pod-facts.js';
import { TimerSet } from './timer-set.js';

/** Re-reads and retries of a status write that hit a Conflict before it is reported as an error. */
const MAX_CONFLICT_RETRIES = 5;

export interface KubeletOptions {
  readonly view: ClusterView;
  /** Draws the start delays; give the kubelet its own stream (Random.fork) for stable runs. */
  readonly random: Random;
  /** From bound on a Ready node to Running (default: fixed 2 s, the scenario default). */
  readonly startDelay?: Distribution;
  /** How long a pod bound to a missing node is left before it is deleted (ms; default 40,000). */
  readonly orphanGcDelayMs?: number;
  readonly onError?: (e: StandInError) => void;
}

export interface KubeletStats {
  started: number;
  completed: number;
  /** Pods deleted because their node did not exist. */
  collected: number;
}

export class KubeletStandIn {
  readonly stats: KubeletStats = { started: 0, completed: 0, collected: 0 };
  readonly errors: ErrorLog;
  readonly #view: ClusterView;
  readonly #random: Random;
  readonly #startDelay: Distribution;
  readonly #orphanMs: number;
  readonly #starts: TimerSet;
  readonly #completions: TimerSet;
  readonly #orphans: TimerSet;
  readonly #unsubscribe: (() => void)[] = [];
  #stopped = false;

  /** @throws RangeError for a negative orphanGcDelayMs. */
  constructor(o: KubeletOptions) {
    this.#view = o.view;
    this.#random = o.random;
    this.#startDelay = o.startDelay ?? { kind: 'fixed', ms: 2_000 };
    this.#orphanMs = o.orphanGcDelayMs ?? 40_000;
    if (!(this.#orphanMs >= 0 && Number.isFinite(this.#orphanMs))) throw new RangeError(`kubelet orphanGcDelayMs must be a non-negative number, got ${this.#orphanMs}`);
    this.errors = new ErrorLog('kubelet', o.onError);
    const clock = o.view.clock;
    this.#starts = new TimerSet(clock);
    this.#completions = new TimerSet(clock);
    this.#orphans = new TimerSet(clock);
    this.#unsubscribe.push(
      o.view.pods.addHandler({
        onAdd: (p) => this.#consider(p),
        onUpdate: (_, p) => this.#consider(p),
        onDelete: (p) => this.#forget(p.metadata.uid ?? ''),
      }),
      o.view.nodes.addHandler({
        onAdd: (n) => this.#nodeChanged(n.metadata.name ?? ''),
        onUpdate: (_, n) => this.#nodeChanged(n.metadata.name ?? ''),
        onDelete: (n) => this.#nodeChanged(n.metadata.name ?? ''),
      }),
    );
  }

  stop(): void {
    this.#stopped = true;
    for (const u of this.#unsubscribe) u();
    this.#starts.cancelAll();
    this.#completions.cancelAll();
    this.#orphans.cancelAll();
  }

  /** No start, completion or collection due within `horizonMs`. */
  isIdle(horizonMs = 0): boolean {
    return this.#starts.idleWithin(horizonMs) && this.#completions.idleWithin(horizonMs) && this.#orphans.idleWithin(horizonMs);
  }

  #nodeChanged(name: string): void {
    for (const pod of this.#view.podsOn(name)) this.#consider(pod);
  }

  #forget(uid: string): void {
    this.#starts.cancel(uid);
    this.#completions.cancel(uid);
    this.#orphans.cancel(uid);
  }

  #consider(pod: Pod): void {
    if (this.#stopped) return;
    const uid = pod.metadata.uid ?? '';
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const node = this.#view.node(nodeName);
    if (!node) {
      this.#orphans.add(uid, this.#orphanMs, () => void this.#collect(keyOf(pod), uid, nodeName));
      return;
    }
    this.#orphans.cancel(uid);
    const stage = podStage(pod);
    if (stage !== 'starting') this.#starts.cancel(uid);
    if (stage !== 'running') this.#completions.cancel(uid);
    if (stage === 'starting' && isNodeReady(node) && !this.#starts.has(uid)) {
      const delay = sampleDistribution(this.#startDelay, this.#random);
      this.#starts.add(uid, delay, () => void this.#start(keyOf(pod), uid));
    } else if (stage === 'running' && !this.#completions.has(uid)) {
      const runMs = runDurationMs(pod.metadata.annotations);
      if (runMs !== undefined) this.#completions.add(uid, runMs, () => void this.#complete(keyOf(pod), uid));
    }
  }

  /** The pod as the informer has it now, if it is still the same pod. */
  #current(key: string, uid: string): Pod | undefined {
    const pod = this.#view.pods.get(key);
    return pod && pod.metadata.uid === uid ? pod : undefined;
  }

  async #start(key: string, uid: string): Promise<void> {
    await this.#patchPod(`starting pod ${key}`, key, uid, (pod) => {
      if (podStage(pod) !== 'starting') return undefined;
      const node = this.#view.node(pod.spec.nodeName ?? '');
      if (!node || !isNodeReady(node)) return undefined; // reconsidered when the node turns Ready
      const now = formatKubeTime(this.#view.clock.now());
      const conditions: Condition[] = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']
        .map((type) => ({ type, status: 'True', lastTransitionTime: now }));
      return { phase: 'Running', startTime: now, conditions };
    }, () => this.stats.started++);
  }

  async #complete(key: string, uid: string): Promise<void> {
    await this.#patchPod(`completing pod ${key}`, key, uid, (pod) => {
      if (podStage(pod) !== 'running') return undefined;
      const now = formatKubeTime(this.#view.clock.now());
      const conditions: Condition[] = (pod.status?.conditions ?? []).map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady' ? { type: c.type, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : c);
      return { phase: 'Succeeded', conditions };
    }, () => this.stats.completed++);
  }

  /**
   * Patches the pod's status with what `status` makes of it (undefined: nothing to do any more).
   * A Conflict means someone wrote the pod meanwhile: the pod is read again from the API server
   * and the status worked out afresh, up to MAX_CONFLICT_RETRIES times; without this a pod whose
   * write lost a race would stay Pending (or Running) for good, since no later event re-arms it.
   */
  async #patchPod(doing: string, key: string, uid: string, status: (pod: Pod) => PodStatus | undefined, done: () => void): Promise<void> {
    let pod = this.#current(key, uid);
    for (let attempt = 0; pod; attempt++) {
      const patch = status(pod);
      if (!patch) return;
      try {
        await this.#view.kube.patchStatus('Pod', pod.metadata.name ?? '', { status: patch }, pod.metadata.namespace);
        done();
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= MAX_CONFLICT_RETRIES) {
          this.errors.report(doing, e);
          return;
        }
      }
      pod = await this.#reread(pod, uid);
    }
  }

  /** The pod as the API server has it now, if it is still the same pod. */
  async #reread(pod: Pod, uid: string): Promise<Pod | undefined> {
    try {
      const fresh = await this.#view.kube.get('Pod', pod.metadata.name ?? '', pod.metadata.namespace);
      return fresh.metadata.uid === uid ? fresh : undefined;
    } catch (e) {
      if (!isNotFound(e)) this.errors.report(`reading pod ${keyOf(pod)}`, e);
      return undefined;
    }
  }

  async #collect(key: string, uid: string, nodeName: string): Promise<void> {
    if (this.#view.node(nodeName) || !this.#current(key, uid)) return;
    const [namespace, name] = key.split('/') as [string, string];
    await this.#write(`deleting pod ${key} of missing node ${nodeName}`, async () => {
      await this.#view.kube.delete('Pod', name, namespace, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.stats.collected++;
    });
  }

  /** Runs a write; a pod that is gone or changed identity meanwhile is not an error. */
  async #write(doing: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) this.errors.report(doing, e);
    }
  }
}
