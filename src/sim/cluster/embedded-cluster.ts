/**
 * The embedded cluster's stand-ins wired together over one KubeClient and Clock: the shared
 * informers, kube-scheduler, the kubelets (and pod GC), the DaemonSet controller, the workload
 * driver replaying the scenario, and the metrics recorder. The engine adds an autoscaler (nodewright's
 * controllers or the Cluster Autoscaler model) beside it.
 */
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { Random } from '../../utils/random.js';
import type { Scenario } from '../scenario/types.js';
import { ClusterView } from './cluster-view.js';
import { DaemonSetStandIn } from './daemonset-controller.js';
import { ErrorLog } from './errors.js';
import type { StandInError } from './errors.js';
import type { InitialNodeOptions } from './initial-nodes.js';
import type { KubeSchedulerOptions } from './kube-scheduler.js';
import { KubeSchedulerStandIn } from './kube-scheduler.js';
import { KubeletStandIn } from './kubelet.js';
import type { ClusterMetricsOptions } from './metrics.js';
import { ClusterMetrics } from './metrics.js';
import { WorkloadDriver } from './workload-driver.js';

export interface EmbeddedClusterOptions {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly scenario: Scenario;
  /** Root of the cluster's random streams (default: the scenario's seed, forked "cluster"). */
  readonly random?: Random;
  /** How the initial nodes are created, or false when someone else creates them. */
  readonly initialNodes: InitialNodeOptions | false;
  readonly scheduler?: Omit<KubeSchedulerOptions, 'view' | 'onError'>;
  /** Pod GC delay for pods on missing nodes (ms; default 40,000). */
  readonly orphanGcDelayMs?: number;
  /** Metrics recorder options, or false for none. */
  readonly metrics?: Omit<ClusterMetricsOptions, 'view'> | false;
  readonly onError?: (e: StandInError) => void;
}

export class EmbeddedCluster {
  readonly view: ClusterView;
  readonly scheduler: KubeSchedulerStandIn;
  readonly kubelet: KubeletStandIn;
  readonly daemonSets: DaemonSetStandIn;
  readonly driver: WorkloadDriver;
  readonly metrics: ClusterMetrics | undefined;
  /** Failures of the shared informers (they retry on their own). */
  readonly informerErrors: ErrorLog;

  /** @throws RangeError for invalid stand-in options. */
  constructor(o: EmbeddedClusterOptions) {
    const random = o.random ?? new Random(o.scenario.seed).fork('cluster');
    const onError = o.onError ? { onError: o.onError } : {};
    this.informerErrors = new ErrorLog('informers', o.onError);
    this.view = new ClusterView({ clock: o.clock, kube: o.kube, onError: (e) => this.informerErrors.report(`watching ${e.kind}`, e) });
    this.metrics = o.metrics === false ? undefined : new ClusterMetrics({ ...o.metrics, view: this.view });
    this.scheduler = new KubeSchedulerStandIn({ ...o.scheduler, view: this.view, ...onError });
    this.kubelet = new KubeletStandIn({
      view: this.view, random: random.fork('kubelet'), startDelay: o.scenario.cluster.podStartDelay,
      ...(o.orphanGcDelayMs !== undefined ? { orphanGcDelayMs: o.orphanGcDelayMs } : {}), ...onError,
    });
    this.daemonSets = new DaemonSetStandIn({ view: this.view, ...onError });
    this.driver = new WorkloadDriver({ view: this.view, scenario: o.scenario, random: random.fork('workload'), initialNodes: o.initialNodes, ...onError });
  }

  /**
   * Starts the informers, waits for them to list, starts sampling and the workload (t = 0 is now).
   * @throws KubeError when an object due at t = 0 cannot be created.
   */
  async start(): Promise<void> {
    this.view.start();
    await this.view.waitForSync();
    this.metrics?.start();
    await this.driver.start();
  }

  async stop(): Promise<void> {
    this.driver.stop();
    this.scheduler.stop();
    this.kubelet.stop();
    this.daemonSets.stop();
    this.metrics?.stop();
    await this.view.stop();
  }

  /** Nothing to do within `horizonMs` for the scheduler, the kubelets, the DaemonSet controller or the driver's controllers. */
  isIdle(horizonMs = 0): boolean {
    return this.scheduler.isIdle(horizonMs) && this.kubelet.isIdle(horizonMs) && this.daemonSets.isIdle() && this.driver.isIdle(horizonMs);
  }

  /** Failures reported by any stand-in so far. */
  errorCount(): number {
    return this.scheduler.errors.count + this.kubelet.errors.count + this.daemonSets.errors.count + this.driver.errors.count
      + this.informerErrors.count;
  }
}
