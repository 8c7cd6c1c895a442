/**
 * One replica of the nodewright operator on the embedded cluster, as operator/operator.ts runs it:
 * informers always on, a leader elector over a Lease, and the controllers built afresh for each
 * term of leadership (after the state has synced) and stopped gracefully when the term ends; a
 * lost term ends the process. Chaos tests crash it (everything cut off at once), partition it from
 * the Lease only (its controllers still reach the API server while it steps down), or stop it
 * gracefully (a rolling update).
 */
import type { CloudProvider } from '../cloudprovider/cloud-provider.js';
import type { UnavailableOfferings } from '../cloudprovider/unavailable-offerings.js';
import type { ControllerContext, ControllerOptions, Decision } from '../controllers/context.js';
import { silentLogger } from '../controllers/context.js';
import { NodewrightControllers } from '../controllers/nodewright.js';
import type { KubeClient } from '../kube/types.js';
import type { ElectionEnd } from '../operator/leader-election.js';
import { LeaderElector } from '../operator/leader-election.js';
import { termContext } from '../operator/operator.js';
import { ClusterState } from '../state/cluster-state.js';
import { ClusterStateInformers } from '../state/informers.js';
import type { Clock } from '../utils/clock.js';
import type { CallObserver } from './fence.js';
import { fenced, ProcessFence } from './fence.js';

export const LEASE = { namespace: 'default', name: 'nodewright-leader-election' } as const;

export interface ReplicaWiring {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly cloud: CloudProvider;
  readonly unavailableOfferings: UnavailableOfferings;
  readonly options: ControllerOptions;
  readonly decisions: Decision[];
  /** client-go's defaults: 15 s, 10 s, 2 s. */
  readonly lease: { durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** Observes the replica's calls: the controllers' API calls, its cloud calls and its Lease calls. */
  readonly observe: (identity: string) => { kube: CallObserver; cloud: CallObserver; lease: CallObserver };
}

export class Replica {
  readonly fence: ProcessFence;
  /** The replica's link to the Lease alone (cut by partition()). */
  readonly leaseLink: ProcessFence;
  readonly state: ClusterState;
  readonly elector: LeaderElector;
  terms = 0;
  readonly #informers: ClusterStateInformers;
  readonly #ctx: ControllerContext;
  #term: NodewrightControllers | undefined;
  #campaigning = false;
  #ending: Promise<void> | undefined;

  constructor(readonly identity: string, w: ReplicaWiring) {
    this.fence = new ProcessFence(identity);
    this.leaseLink = new ProcessFence(`${identity} (lease)`);
    const seen = w.observe(identity);
    const kube = fenced(w.kube, this.fence, seen.kube);
    this.state = new ClusterState({ clock: w.clock });
    this.#informers = new ClusterStateInformers(kube, this.state, { clock: w.clock });
    this.#ctx = {
      clock: w.clock, kube, cloud: fenced(w.cloud, this.fence, seen.cloud), state: this.state, options: w.options, log: silentLogger,
      decisions: { record: (d) => void w.decisions.push(d) }, unavailableOfferings: w.unavailableOfferings,
    };
    this.elector = new LeaderElector({
      kube: fenced(fenced(w.kube, this.fence), this.leaseLink, seen.lease), clock: w.clock, ...LEASE, identity,
      leaseDurationMs: w.lease.durationMs, renewDeadlineMs: w.lease.renewDeadlineMs, retryPeriodMs: w.lease.retryPeriodMs,
      onStartedLeading: (signal) => {
        this.terms++;
        // As the operator does: once the term ends, whatever its controllers still try to write is refused.
        this.#term = new NodewrightControllers(termContext(this.#ctx, signal));
        this.#term.start();
      },
      onStoppedLeading: async () => {
        const term = this.#term;
        this.#term = undefined;
        await term?.stop();
      },
    });
    this.#informers.start();
  }

  get leading(): boolean {
    return this.elector.isLeader;
  }

  /** Whether the process has ended (crashed, stopped, or exited after losing its term). */
  get ended(): boolean {
    return this.fence.killed;
  }

  /** Campaigns once the state has synced (the operator serves readiness then); call as time moves. */
  poll(): void {
    if (this.#campaigning || this.fence.killed || !this.state.synced) return;
    this.#campaigning = true;
    this.elector.start();
    // Losing a term ends the process (the operator exits and Kubernetes restarts it).
    void this.elector.done.then((end: ElectionEnd) => {
      if (end === 'lost') void this.crash();
    });
  }

  /** The process dies: nothing it does reaches anything from now on. Resolves once it has wound down. */
  crash(): Promise<void> {
    this.#ending ??= (async () => {
      this.fence.kill();
      this.leaseLink.kill();
      await Promise.all([this.elector.stop(), this.#term?.stop(), this.#informers.stop()]);
    })();
    return this.#ending;
  }

  /** Cuts the replica off from the Lease only: it must step down while its controllers still reach the API server. */
  partition(): void {
    this.leaseLink.kill();
  }

  /** A graceful stop: the term ends, the Lease is released, then the process exits. */
  stop(): Promise<void> {
    this.#ending ??= (async () => {
      await this.elector.stop();
      this.fence.kill();
      this.leaseLink.kill();
      await this.#informers.stop();
    })();
    return this.#ending;
  }
}
