/**
 * Replays a scenario's workload on the Clock, from the instant `start()` is called (t = 0):
 * initial nodes, PodDisruptionBudgets, DaemonSets (their pods come from the DaemonSet stand-in),
 * Deployments scaled as their replica schedules say (replica-set-controller.ts), Jobs
 * (job-controller.ts) and StatefulSets with zonal volumes (stateful-set-controller.ts) at their
 * start times. Pod events are routed to the controller that owns the pod.
 */
import type { DaemonSet, Pod } from '../../apis/core.js';
import type { Random } from '../../utils/random.js';
import { replicaChanges } from '../scenario/replicas.js';
import type { DeploymentSpec, Scenario } from '../scenario/types.js';
import { ZONAL_STORAGE_CLASS } from './annotations.js';
import type { ClusterView } from './cluster-view.js';
import { ErrorLog } from './errors.js';
import type { StandInError } from './errors.js';
import type { InitialNodeOptions } from './initial-nodes.js';
import { initialNodeObject } from './initial-nodes.js';
import { JobStandIn } from './job-controller.js';
import type { PodEventKind } from './owned-pods.js';
import { controllerOf } from './pod-facts.js';
import { ReplicaSetStandIn } from './replica-set-controller.js';
import { StatefulSetStandIn } from './stateful-set-controller.js';

export interface WorkloadDriverOptions {
  readonly view: ClusterView;
  readonly scenario: Scenario;
  /** Draws job pod run times (one fork per Job, by name, so adding a job shifts no other). */
  readonly random: Random;
  /** How to create the initial nodes; false: do not create them (someone else does). */
  readonly initialNodes: InitialNodeOptions | false;
  readonly onError?: (e: StandInError) => void;
}

type Owned = ReplicaSetStandIn | JobStandIn | StatefulSetStandIn;

export class WorkloadDriver {
  readonly errors: ErrorLog;
  readonly deployments: ReplicaSetStandIn[];
  readonly jobs: JobStandIn[];
  readonly statefulSets: StatefulSetStandIn[];
  readonly #o: WorkloadDriverOptions;
  readonly #byUid = new Map<string, Owned>();
  readonly #cancels: (() => void)[] = [];
  #t0: number | undefined;
  #inFlight = 0;
  #stopped = false;

  constructor(o: WorkloadDriverOptions) {
    this.#o = o;
    this.errors = new ErrorLog('workload-driver', o.onError);
    const w = o.scenario.workload;
    this.deployments = w.deployments.map((d) => new ReplicaSetStandIn(o.view, d, this.errors));
    this.jobs = w.jobs.map((j) => new JobStandIn(o.view, j, o.random.fork(`job/${j.namespace}/${j.name}`), this.errors));
    this.statefulSets = w.statefulSets.map((s) => new StatefulSetStandIn(o.view, s, this.errors));
    this.#cancels.push(o.view.pods.addHandler({
      onAdd: (p) => this.#route(undefined, p, 'add'),
      onUpdate: (old, p) => this.#route(old, p, 'update'),
      onDelete: (p) => this.#route(undefined, p, 'delete'),
    }));
  }

  /** Epoch ms of t = 0 (undefined before start). */
  get t0(): number | undefined {
    return this.#t0;
  }

  /** The Deployment stand-in by name (and namespace, default "default"). */
  deployment(name: string, namespace = 'default'): ReplicaSetStandIn | undefined {
    return this.deployments.find((d) => d.spec.name === name && d.spec.namespace === namespace);
  }

  job(name: string, namespace = 'default'): JobStandIn | undefined {
    return this.jobs.find((j) => j.spec.name === name && j.spec.namespace === namespace);
  }

  /**
   * Creates what exists at t = 0 (initial nodes first, then budgets, DaemonSets and workloads due
   * at 0) and schedules the rest on the Clock.
   * @throws KubeError when a t = 0 object cannot be created; StandInError-free otherwise (later
   *   failures go to onError).
   */
  async start(): Promise<void> {
    const { view, scenario } = this.#o;
    const t0 = (this.#t0 = view.clock.now());
    const kube = view.kube;
    if (this.#o.initialNodes !== false) {
      for (const n of scenario.cluster.initialNodes) await kube.create('Node', initialNodeObject(scenario, n, this.#o.initialNodes, t0));
    }
    if (scenario.workload.statefulSets.some((s) => s.volumeZones.length > 0)) {
      await kube.create('StorageClass', {
        apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: ZONAL_STORAGE_CLASS },
        provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer',
      });
    }
    for (const pdb of scenario.workload.podDisruptionBudgets) await kube.create('PodDisruptionBudget', structuredClone(pdb));
    for (const ds of scenario.workload.daemonSets) await kube.create('DaemonSet', daemonSetObject(ds.name, ds.namespace, ds.template));
    for (const d of this.deployments) await this.#startDeployment(d);
    for (const j of this.jobs) this.#at(j.spec.startMs, `starting job ${j.spec.namespace}/${j.spec.name}`, () => this.#own(j, () => j.create()));
    for (const s of this.statefulSets) this.#at(s.spec.startMs, `starting statefulset ${s.spec.namespace}/${s.spec.name}`, () => this.#own(s, () => s.create()));
  }

  /** Stops every timer and controller (idempotent); writes in flight finish. */
  stop(): void {
    this.#stopped = true;
    for (const c of this.#cancels) c();
    for (const c of [...this.deployments, ...this.jobs, ...this.statefulSets]) c.stop();
  }

  /** No write in flight and no controller work due within `horizonMs` (scheduled steps aside). */
  isIdle(horizonMs = 0): boolean {
    return this.#inFlight === 0 && [...this.deployments, ...this.jobs, ...this.statefulSets].every((c) => c.isIdle(horizonMs));
  }

  async #startDeployment(d: ReplicaSetStandIn): Promise<void> {
    const changes = replicaChanges(d.spec.replicas, this.#o.scenario.horizonMs);
    await this.#own(d, () => d.create(changes[0]?.count ?? 0));
    for (const c of changes.slice(1)) this.#at(c.atMs, `scaling deployment ${keyOfSpec(d.spec)} to ${c.count}`, () => d.scale(c.count));
  }

  /** Runs `fn` at scenario time `atMs` (at once, awaited by the caller's chain, when it is due already). */
  #at(atMs: number, doing: string, fn: () => Promise<void>): void {
    const delay = this.#t0! + atMs - this.#o.view.clock.now();
    this.#cancels.push(this.#o.view.clock.setTimer(delay, () => {
      if (this.#stopped) return;
      this.#inFlight++;
      fn().catch((e: unknown) => this.errors.report(doing, e)).finally(() => this.#inFlight--);
    }));
  }

  async #own(c: Owned, create: () => Promise<void>): Promise<void> {
    await create();
    // Registered before the controller's first reconcile, which runs on a later timer.
    if (c.uid !== undefined) this.#byUid.set(c.uid, c);
  }

  #route(old: Pod | undefined, pod: Pod, kind: PodEventKind): void {
    const owner = controllerOf(pod);
    if (!owner) return;
    this.#byUid.get(owner.uid)?.onPod(old, pod, kind);
  }
}

function keyOfSpec(d: DeploymentSpec): string {
  return `${d.namespace}/${d.name}`;
}

/** A DaemonSet object for a scenario daemon set. */
function daemonSetObject(name: string, namespace: string, template: DaemonSet['spec']['template']): DaemonSet {
  const labels = { ...(template.metadata?.labels ?? {}) };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace, labels },
    spec: { selector: { matchLabels: labels }, template: structuredClone(template) },
  };
}
