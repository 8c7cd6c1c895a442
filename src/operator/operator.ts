/**
 * The composition root of `nodewright controller`: from the parsed options it builds the clock,
 * the KubeClient, the cloud provider, the cluster state and its informers, the controller context,
 * logging, metrics and the HTTP endpoints, and gates the controllers on leader election. Every
 * replica keeps its cache warm and answers probes; only the leader runs controllers, and only once
 * the cache has synced. Losing leadership ends the operator (the process exits and is restarted),
 * as controller-runtime does.
 *
 * The controllers of a term write through a fence: once the term ends (leadership lost, or the
 * operator stopping) every write they attempt, to the API server or the cloud, fails with
 * NotLeadingError. A lost term ends at the renew deadline, before any standby can take the Lease;
 * without the fence, work still in progress while the controllers stop (a disruption pass waiting
 * out its validation, say) would act after a new leader had started.
 */
import type { ControllerContext, Logger } from '../controllers/context.js';
import { DecisionLog } from '../controllers/decisions/decision-log.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import type { KubeClient } from '../kube/types.js';
import { ClusterState } from '../state/cluster-state.js';
import { ClusterStateInformers } from '../state/informers.js';
import type { Clock } from '../utils/clock.js';
import { RealClock } from '../utils/clock.js';
import type { CloudProviderFactory, CloudProviderSetup, Runnable } from './cloud-providers.js';
import { CLOUD_PROVIDER_FACTORIES } from './cloud-providers.js';
import type { ControllerRegistration } from './controllers.js';
import { CONTROLLERS } from './controllers.js';
import { HttpEndpoints } from './http.js';
import { LeaderElector } from './leader-election.js';
import { createLogger } from './logger.js';
import { MeteredCloudProvider } from './metered-cloud-provider.js';
import { PromMetrics } from './metrics.js';
import type { CloudProviderName, OperatorOptions } from './options.js';
import { controllerOptionsFrom } from './options.js';

/** A controller tried to change something after its term of leadership had ended. */
export class NotLeadingError extends Error {
  override readonly name = 'NotLeadingError';
}

/** KubeClient and CloudProvider methods that change something. */
const KUBE_WRITES: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'patchStatus', 'delete', 'bind', 'evict', 'recordEvent']);
const CLOUD_WRITES: ReadonlySet<string> = new Set(['create', 'delete']);

/**
 * `target` whose `writes` reject with NotLeadingError once `term` has aborted (without being
 * called); every other member, and writes before then, pass through unchanged.
 */
export function fenceWrites<T extends object>(target: T, writes: ReadonlySet<string>, term: AbortSignal, what: string): T {
  return new Proxy(target, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(t);
      if (typeof prop !== 'string' || !writes.has(prop)) return fn;
      return (...args: unknown[]): unknown => term.aborted
        ? Promise.reject(new NotLeadingError(`${what}.${prop}: this replica's term of leadership has ended`))
        : fn(...args);
    },
  });
}

/** `ctx` for the controllers of one term: their kube and cloud writes fail with NotLeadingError once `term` aborts. */
export function termContext(ctx: ControllerContext, term: AbortSignal): ControllerContext {
  return { ...ctx, kube: fenceWrites(ctx.kube, KUBE_WRITES, term, 'kube'), cloud: fenceWrites(ctx.cloud, CLOUD_WRITES, term, 'cloud') };
}

export interface OperatorDeps {
  readonly options: OperatorOptions;
  /** Default: wall time. */
  readonly clock?: Clock;
  /** Default: the real API server from --kubeconfig, or in-cluster. */
  readonly kube?: KubeClient;
  /** Default: CONTROLLERS. */
  readonly controllers?: readonly ControllerRegistration[];
  /** Default: CLOUD_PROVIDER_FACTORIES. */
  readonly cloudProviders?: Readonly<Record<CloudProviderName, CloudProviderFactory>>;
  /** Default: JSON lines on stdout at --log-level. */
  readonly log?: Logger;
  /** Default: a fresh registry with process metrics. */
  readonly metrics?: PromMetrics;
}

/**
 * Why the operator ended: stop() was called; leadership was lost; or a term of leadership failed to
 * start. After the last two the process should exit non-zero and be restarted.
 */
export type OperatorEnd = 'stopped' | 'lost-leadership' | 'failed';

export class Operator {
  readonly options: OperatorOptions;
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly log: Logger;
  readonly metrics: PromMetrics;
  readonly state: ClusterState;
  readonly ctx: ControllerContext;
  readonly #cloud: CloudProviderSetup;
  readonly #informers: ClusterStateInformers;
  readonly #http: HttpEndpoints;
  readonly #elector: LeaderElector | undefined;
  readonly #controllers: readonly ControllerRegistration[];
  readonly #stopping = new AbortController();
  /** What runs in the current term of leadership, in start order. */
  #active: { name: string; stop(): Promise<void> }[] = [];
  #term: Promise<void> = Promise.resolve();
  #leading = false;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #shuttingDown: Promise<void> | undefined;
  /** Closes the client's connections when the operator built it. */
  #closeKube: () => void = () => undefined;
  #end!: (end: OperatorEnd) => void;
  /** Resolves when the operator has ended and everything is stopped. */
  readonly done: Promise<OperatorEnd>;

  /**
   * Builds everything; nothing runs until start().
   * @throws KubeConfigError (no kubeconfig / not in a cluster), CloudProviderSetupError.
   */
  constructor(deps: OperatorDeps) {
    const o = deps.options;
    this.options = o;
    this.clock = deps.clock ?? new RealClock();
    this.log = deps.log ?? createLogger({ level: o.logLevel, clock: this.clock });
    this.metrics = deps.metrics ?? new PromMetrics({ defaultMetrics: true });
    if (deps.kube) {
      this.kube = deps.kube;
    } else {
      const real = RealKubeClient.fromSource(
        o.kubeconfig !== undefined ? { kind: 'file', path: o.kubeconfig, context: o.kubeContext } : { kind: 'in-cluster' },
        { clock: this.clock, requestTimeoutMs: o.kubeRequestTimeoutMs, reportingInstance: o.leaderElectionIdentity },
      );
      this.kube = real;
      this.#closeKube = () => real.close();
    }
    this.#controllers = deps.controllers ?? CONTROLLERS;
    const factory = (deps.cloudProviders ?? CLOUD_PROVIDER_FACTORIES)[o.cloudProvider];
    this.#cloud = factory({ options: o, kube: this.kube, clock: this.clock, log: this.log });
    this.state = new ClusterState({ clock: this.clock });
    this.#informers = new ClusterStateInformers(this.kube, this.state, {
      clock: this.clock,
      onError: (e) => this.log.warn({ err: e, kind: e.kind }, `${e.kind} informer: ${e.message}`),
    });
    this.ctx = {
      clock: this.clock,
      kube: this.kube,
      cloud: new MeteredCloudProvider(this.#cloud.provider, this.metrics, this.clock),
      state: this.state,
      options: controllerOptionsFrom(o),
      log: this.log,
      decisions: new DecisionLog({ clock: this.clock, kube: this.kube, log: this.log.child({ component: 'decisions' }) }),
      unavailableOfferings: this.#cloud.unavailableOfferings,
    };
    this.#http = new HttpEndpoints({
      host: o.bindAddress, metricsPort: o.metricsPort, healthProbePort: o.healthProbePort,
      metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
      healthy: () => (this.#state === 'running' ? { ok: true } : { ok: false, reason: `the operator is ${this.#state}` }),
      ready: () => (this.state.synced ? { ok: true } : { ok: false, reason: 'the cluster state has not synced yet' }),
    });
    if (o.leaderElect) {
      this.#elector = new LeaderElector({
        kube: this.kube, clock: this.clock, log: this.log,
        namespace: o.leaderElectionNamespace, name: o.leaderElectionName, identity: o.leaderElectionIdentity,
        leaseDurationMs: o.leaseDurationMs, renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs,
        onStartedLeading: (signal) => this.#startTerm(signal),
        onStoppedLeading: () => this.#endTerm(),
      });
    }
    if (this.#elector) this.metrics.setLeader(o.leaderElectionName, false);
    this.done = new Promise((resolve) => { this.#end = resolve; });
  }

  /** Whether this replica runs the controllers now. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Names of what runs in the current term (cloud helpers, then controllers). */
  get running(): string[] {
    return this.#active.map((r) => r.name);
  }

  /**
   * Serves the endpoints, starts the informers and campaigns (or, without leader election, starts
   * the controllers once synced). Returns the ports served.
   * @throws HttpServeError when a port cannot be bound (nothing is left running); Error when
   *   already started.
   */
  async start(): Promise<{ metrics: number; health: number }> {
    if (this.#state !== 'new') throw new Error(`starting the operator: it was already ${this.#state === 'running' ? 'started' : 'stopped'}`);
    const ports = await this.#http.start();
    this.#state = 'running';
    this.#informers.start();
    this.log.info({ ...ports, provider: this.#cloud.provider.name, leaderElection: this.options.leaderElect }, 'nodewright controller started');
    if (this.#elector) {
      this.#elector.start();
      void this.#elector.done.then((end) => {
        if (end === 'lost') void this.#shutdown('lost-leadership');
      });
    } else {
      this.#startTerm(this.#stopping.signal);
    }
    return ports;
  }

  /** Stops the controllers (releasing the Lease), the informers and the endpoints. Idempotent. */
  async stop(): Promise<void> {
    await this.#shutdown('stopped');
  }

  #shutdown(end: OperatorEnd): Promise<void> {
    this.#shuttingDown ??= (async () => {
      const wasRunning = this.#state === 'running';
      this.#state = 'stopped';
      this.#stopping.abort();
      if (this.#elector) await this.#elector.stop();
      else await this.#endTerm();
      if (wasRunning) {
        await this.#informers.stop();
        await this.#http.stop();
      }
      this.#cloud.close();
      this.#closeKube();
      this.log.info({ reason: end }, 'nodewright controller stopped');
      this.#end(end);
    })();
    return this.#shuttingDown;
  }

  #startTerm(signal: AbortSignal): void {
    this.#leading = true;
    this.metrics.setLeader(this.options.leaderElectionName, true);
    this.#term = this.#runTerm(signal).catch((e: unknown) => {
      this.log.error({ err: e }, 'starting the controllers failed: exiting');
      void this.#shutdown('failed');
    });
  }

  async #runTerm(signal: AbortSignal): Promise<void> {
    try {
      await this.state.waitForSync(signal);
    } catch {
      return;
    }
    const runnables: Runnable[] = this.#cloud.leaderRunnables();
    const ctx = termContext(this.ctx, signal);
    for (const reg of this.#controllers) {
      const built = reg.build(ctx, this.metrics, this.#cloud.interruptions ? { interruptions: this.#cloud.interruptions } : {});
      runnables.push({ name: reg.name, start: () => built.start(), stop: () => built.stop() });
    }
    for (const r of runnables) {
      if (signal.aborted) return;
      await r.start();
      this.#active.push(r);
    }
    this.log.info({ running: this.running }, 'leading: controllers started');
  }

  /** Stops the current term's runnables, newest first; never throws. */
  async #endTerm(): Promise<void> {
    this.#leading = false;
    this.metrics.setLeader(this.options.leaderElectionName, false);
    await this.#term;
    for (const r of this.#active.splice(0).reverse()) {
      try {
        await r.stop();
      } catch (e) {
        this.log.error({ err: e, runnable: r.name }, `stopping ${r.name} failed`);
      }
    }
  }
}
