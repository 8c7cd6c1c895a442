/**
 * One life of the nodewright controller process on the embedded cluster: its own cluster state and
 * informers, its own controllers, reaching the API server and the cloud only through a fence. A
 * kill drops all of it (nothing carries over to the next life but what is in the API server and
 * the cloud), as a crashed or restarted pod would.
 */
import type { CloudProvider } from '../cloudprovider/cloud-provider.js';
import type { UnavailableOfferings } from '../cloudprovider/unavailable-offerings.js';
import type { ControllerContext, ControllerOptions, Decision } from '../controllers/context.js';
import { silentLogger } from '../controllers/context.js';
import { NodewrightControllers } from '../controllers/nodewright.js';
import type { KubeClient } from '../kube/types.js';
import { ClusterState } from '../state/cluster-state.js';
import { ClusterStateInformers } from '../state/informers.js';
import type { Clock } from '../utils/clock.js';
import type { CallObserver } from './fence.js';
import { fenced, ProcessFence } from './fence.js';

export interface GenerationWiring {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly cloud: CloudProvider;
  readonly unavailableOfferings: UnavailableOfferings;
  readonly options: ControllerOptions;
  readonly gcIntervalMs: number;
  readonly decisions: Decision[];
  readonly kubeObserver: (process: string) => CallObserver;
  readonly cloudObserver: (process: string) => CallObserver;
}

export class ControllerGeneration {
  readonly fence: ProcessFence;
  readonly state: ClusterState;
  readonly informers: ClusterStateInformers;
  readonly controllers: NodewrightControllers;
  #started = false;

  /** Starts the informers at once; the controllers start once the state has synced (see poll). */
  constructor(readonly name: string, w: GenerationWiring) {
    this.fence = new ProcessFence(name);
    const kube = fenced(w.kube, this.fence, w.kubeObserver(name));
    const cloud = fenced(w.cloud, this.fence, w.cloudObserver(name));
    this.state = new ClusterState({ clock: w.clock });
    this.informers = new ClusterStateInformers(kube, this.state, { clock: w.clock });
    const ctx: ControllerContext = {
      clock: w.clock, kube, cloud, state: this.state, options: w.options, log: silentLogger,
      decisions: { record: (d) => void w.decisions.push(d) }, unavailableOfferings: w.unavailableOfferings,
    };
    this.controllers = new NodewrightControllers(ctx, { gcIntervalMs: w.gcIntervalMs });
    this.informers.start();
  }

  get started(): boolean {
    return this.#started;
  }

  /** Starts the controllers once the state has synced (call as time moves); returns whether they run. */
  poll(): boolean {
    if (!this.#started && !this.fence.killed && this.state.synced) {
      this.controllers.start();
      this.#started = true;
    }
    return this.#started;
  }

  /**
   * Kills the process: from now on it reaches nothing. Resolves once its controllers and informers
   * have wound down (time must move for that: calls in flight may be waiting on the clock).
   */
  async kill(): Promise<void> {
    this.fence.kill();
    await Promise.all([this.controllers.stop(), this.informers.stop()]);
  }

  /** A graceful stop (leadership handed over): controllers end their running work, then the fence closes. */
  async stop(): Promise<void> {
    await this.controllers.stop();
    this.fence.kill();
    await this.informers.stop();
  }
}
