/**
 * One Job of the scenario and the Job controller behind it: a Job object, and pods owned by it,
 * `parallelism` at a time, until `completions` of them have Succeeded. Each pod carries its run
 * time (drawn from the scenario's duration distribution) for the kubelet stand-in to honour. A pod
 * that is deleted, evicted or fails before it succeeds is replaced (backoffLimit is not modelled).
 * Once complete the Job gets status.succeeded, completionTime and a Complete condition.
 */
import type { Job, Pod } from '../../apis/core.js';
import type { MergePatch } from '../../kube/types.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { Random } from '../../utils/random.js';
import { sampleDistribution } from '../scenario/distribution.js';
import type { JobSpec } from '../scenario/types.js';
import { RUN_DURATION_ANNOTATION } from './annotations.js';
import type { ClusterView } from './cluster-view.js';
import { CoalescedTask } from './coalesced-task.js';
import type { ErrorLog } from './errors.js';
import { ActivePods, controllerRef, Expectations, leftActiveSet } from './owned-pods.js';
import type { PodEventKind } from './owned-pods.js';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

export class JobStandIn {
  readonly spec: JobSpec;
  readonly stats = { created: 0 };
  readonly #view: ClusterView;
  readonly #random: Random;
  readonly #expect: Expectations;
  readonly #active = new ActivePods();
  readonly #task: CoalescedTask;
  readonly #succeeded = new Set<string>();
  #uid: string | undefined;
  #completedAt: number | undefined;

  /** @param random draws the pods' run times (give each Job its own stream). */
  constructor(view: ClusterView, spec: JobSpec, random: Random, errors: ErrorLog) {
    this.spec = spec;
    this.#view = view;
    this.#random = random;
    this.#expect = new Expectations(view);
    this.#task = new CoalescedTask(view.clock, () => this.#reconcile(), (e) => errors.report(`reconciling job ${spec.namespace}/${spec.name}`, e));
  }

  get uid(): string | undefined {
    return this.#uid;
  }

  /** Pods that have succeeded so far. */
  get succeeded(): number {
    return this.#succeeded.size;
  }

  /** When the last needed pod succeeded (epoch ms), undefined while running. */
  get completedAt(): number | undefined {
    return this.#completedAt;
  }

  /** Creates the Job object and starts its pods. @throws KubeError from the API server. */
  async create(): Promise<void> {
    const { name, namespace, template, parallelism, completions } = this.spec;
    const job: Job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name, namespace, labels: { ...(template.metadata?.labels ?? {}) } },
      spec: { parallelism, completions, template },
    };
    this.#uid = (await this.#view.kube.create('Job', job)).metadata.uid;
    this.#task.request();
  }

  /** Told about every event of a pod this Job controls (`old`: the state before an update). */
  onPod(old: Pod | undefined, pod: Pod, kind: PodEventKind): void {
    this.#expect.observe(pod, kind);
    this.#active.observe(pod, kind);
    if (kind !== 'delete' && pod.status?.phase === 'Succeeded') this.#succeeded.add(pod.metadata.uid ?? '');
    if (leftActiveSet(old, pod, kind)) this.#task.request();
  }

  stop(): void {
    this.#task.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#task.isIdle(horizonMs);
  }

  async #reconcile(): Promise<void> {
    const uid = this.#uid;
    if (uid === undefined || this.#completedAt !== undefined) return;
    const { parallelism, completions } = this.spec;
    if (this.#succeeded.size >= completions) {
      await this.#complete();
      return;
    }
    const active = this.#active.size - this.#expect.deletingAmong(this.#active);
    const want = Math.min(parallelism, completions - this.#succeeded.size);
    for (let i = active + this.#expect.pendingAdds; i < want; i++) {
      const pod = await this.#view.kube.create('Pod', this.#newPod(uid));
      this.#expect.created(pod);
      this.stats.created++;
    }
  }

  async #complete(): Promise<void> {
    const now = this.#view.clock.now();
    this.#completedAt = now;
    const time = formatKubeTime(now);
    await this.#view.kube.patchStatus('Job', this.spec.name, {
      status: {
        succeeded: this.#succeeded.size,
        completionTime: time,
        conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: time }],
      },
    // apis/core.ts types no Job status; the API server stores what is sent.
    } as unknown as MergePatch<Job>, this.spec.namespace);
  }

  #newPod(uid: string): Pod {
    const { name, namespace, template, podDuration } = this.spec;
    const runMs = Math.max(0, Math.round(sampleDistribution(podDuration, this.#random)));
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        generateName: `${name}-`,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [JOB_NAME_LABEL]: name, [JOB_CONTROLLER_UID_LABEL]: uid },
        annotations: { ...(template.metadata?.annotations ?? {}), [RUN_DURATION_ANNOTATION]: String(runMs) },
        ownerReferences: [controllerRef('batch/v1', 'Job', name, uid)],
      },
      spec: { restartPolicy: 'Never', ...structuredClone(template.spec) } as Pod['spec'],
    };
  }
}
