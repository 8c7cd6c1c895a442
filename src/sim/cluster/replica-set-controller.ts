/**
 * One Deployment of the scenario and the ReplicaSet controller behind it: a Deployment and a
 * ReplicaSet object in the cluster, and pods owned by the ReplicaSet (controller reference) kept
 * at the wanted count. A pod that is deleted or evicted is replaced at once by a new pending pod
 * (as soon as it starts terminating, as the real controller counts only active pods); on scale
 * down the excess goes in ReplicaSet order: unscheduled before scheduled, pending before running,
 * not ready before ready, newest first.
 */
import type { Deployment, Pod, ReplicaSet } from '../../apis/core.js';
import { stableHash32 } from '../../utils/random.js';
import type { DeploymentSpec } from '../scenario/types.js';
import type { ClusterView } from './cluster-view.js';
import { CoalescedTask } from './coalesced-task.js';
import type { ErrorLog } from './errors.js';
import { ActivePods, controllerRef, Expectations, isActivePod, leftActiveSet } from './owned-pods.js';
import type { PodEventKind } from './owned-pods.js';
import { isPodReady, podStage } from './pod-facts.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export class ReplicaSetStandIn {
  readonly spec: DeploymentSpec;
  readonly name: string;
  readonly stats = { created: 0, deleted: 0 };
  readonly #view: ClusterView;
  readonly #errors: ErrorLog;
  readonly #expect: Expectations;
  readonly #active = new ActivePods();
  readonly #task: CoalescedTask;
  /** uid → creation order of the pods this controller made (newer = larger). */
  readonly #order = new Map<string, number>();
  #seq = 0;
  #uid: string | undefined;
  #wanted = 0;

  constructor(view: ClusterView, spec: DeploymentSpec, errors: ErrorLog) {
    this.spec = spec;
    this.#view = view;
    this.#errors = errors;
    this.#expect = new Expectations(view);
    const hash = stableHash32(`${spec.namespace}/${spec.name}/${JSON.stringify(spec.template)}`).toString(36);
    this.name = `${spec.name}-${hash}`;
    this.#task = new CoalescedTask(view.clock, () => this.#reconcile(), (e) => errors.report(`reconciling replicaset ${this.#key}`, e));
  }

  /** The ReplicaSet's uid once created (its pods' controller). */
  get uid(): string | undefined {
    return this.#uid;
  }

  get wanted(): number {
    return this.#wanted;
  }

  get #key(): string {
    return `${this.spec.namespace}/${this.name}`;
  }

  /**
   * Creates the Deployment and ReplicaSet objects with `replicas` wanted.
   * @throws KubeError from the API server (AlreadyExists if run twice).
   */
  async create(replicas: number): Promise<void> {
    this.#wanted = replicas;
    const { name, namespace, template } = this.spec;
    const labels = { ...(template.metadata?.labels ?? {}) };
    const deployment: Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: { replicas, selector: { matchLabels: labels }, template },
    };
    const created = await this.#view.kube.create('Deployment', deployment);
    const rsLabels = { ...labels, [POD_TEMPLATE_HASH_LABEL]: this.name.slice(name.length + 1) };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: this.name, namespace, labels: rsLabels, ownerReferences: [controllerRef('apps/v1', 'Deployment', name, created.metadata.uid ?? '')] },
      spec: { replicas, selector: { matchLabels: rsLabels }, template: { ...template, metadata: { ...template.metadata, labels: rsLabels } } },
    };
    this.#uid = (await this.#view.kube.create('ReplicaSet', rs)).metadata.uid;
    this.#task.request();
  }

  /** Changes the wanted count (written to both objects' spec.replicas) and reconciles. */
  async scale(replicas: number): Promise<void> {
    this.#wanted = replicas;
    this.#task.request();
    const { name, namespace } = this.spec;
    try {
      await this.#view.kube.patch('Deployment', name, { spec: { replicas } }, namespace);
      await this.#view.kube.patch('ReplicaSet', this.name, { spec: { replicas } }, namespace);
    } catch (e) {
      this.#errors.report(`scaling deployment ${namespace}/${name} to ${replicas}`, e);
    }
  }

  /** Told about every event of a pod this ReplicaSet controls (`old`: the state before an update). */
  onPod(old: Pod | undefined, pod: Pod, kind: PodEventKind): void {
    this.#expect.observe(pod, kind);
    this.#active.observe(pod, kind);
    // Only a pod leaving the active set, or one this controller did not make, changes the count.
    const unknown = kind === 'add' && !this.#order.has(pod.metadata.uid ?? '');
    if (unknown || leftActiveSet(old, pod, kind)) this.#task.request();
  }

  stop(): void {
    this.#task.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#task.isIdle(horizonMs);
  }

  async #reconcile(): Promise<void> {
    const uid = this.#uid;
    if (uid === undefined) return;
    const diff = this.#wanted - (this.#active.size - this.#expect.deletingAmong(this.#active)) - this.#expect.pendingAdds;
    for (let i = 0; i < diff; i++) {
      const pod = await this.#view.kube.create('Pod', this.#newPod(uid));
      this.#order.set(pod.metadata.uid ?? '', this.#seq++);
      this.#expect.created(pod);
      this.stats.created++;
    }
    if (diff >= 0) return;
    const active = this.#view.podsOwnedBy(uid).filter((p) => isActivePod(p) && !this.#expect.deleting(p.metadata.uid ?? ''));
    const victims = active
      .map((pod) => ({ pod, rank: this.#rank(pod), age: this.#age(pod) }))
      .sort((a, b) => a.rank - b.rank || b.age - a.age)
      .slice(0, -diff)
      .map((v) => v.pod);
    for (const pod of victims) {
      try {
        await this.#view.kube.delete('Pod', pod.metadata.name ?? '', pod.metadata.namespace, { preconditions: { uid: pod.metadata.uid ?? '' } });
        this.#expect.deleted(pod);
        this.stats.deleted++;
      } catch (e) {
        this.#errors.report(`scaling down replicaset ${this.#key}: deleting pod ${pod.metadata.name ?? ''}`, e);
      }
    }
  }

  /** Lower goes first: unscheduled, then pending, then not ready, then ready. */
  #rank(pod: Pod): number {
    const stage = podStage(pod);
    if (stage === 'unscheduled') return 0;
    if (stage === 'starting') return 1;
    return isPodReady(pod) ? 3 : 2;
  }

  /** Creation order; pods this controller did not make count as oldest. */
  #age(pod: Pod): number {
    return this.#order.get(pod.metadata.uid ?? '') ?? -1;
  }

  #newPod(uid: string): Pod {
    const { namespace, template } = this.spec;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        generateName: `${this.name}-`,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: this.name.slice(this.spec.name.length + 1) },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [controllerRef('apps/v1', 'ReplicaSet', this.name, uid)],
      },
      spec: structuredClone(template.spec),
    };
  }
}
