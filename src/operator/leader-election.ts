/**
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * candidates try to acquire the Lease every retry period; the holder renews it every retry period
 * and gives up leadership when it could not renew for the renew deadline; a standby takes over once
 * the Lease has gone unrenewed for its duration, measured on the standby's own clock from when it
 * last saw the record change (so clock skew between replicas does not matter). Every write carries
 * the resourceVersion read, so two candidates can never both win the same record.
 *
 * Why there are never two leaders: the holder steps down at (last successful renewal + renew
 * deadline), strictly before any standby can see the Lease expire (>= last renewal + lease duration).
 */
import type { Lease } from '../apis/core.js';
import type { Logger } from '../controllers/context.js';
import { silentLogger } from '../controllers/context.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import type { Clock } from '../utils/clock.js';
import { formatMicroTime } from '../utils/clock.js';

export interface LeaderElectionConfig {
  kube: KubeClient;
  clock: Clock;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This candidate's name in the Lease; unique per replica. */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Leadership acquired; `signal` aborts when it ends. Must not throw. */
  onStartedLeading(signal: AbortSignal): void;
  /**
   * Leadership ended (lost, or the elector stopped); called once, only after onStartedLeading. On
   * stop, the Lease is released only after the returned promise settles, so the next leader does
   * not start while this one is still winding down.
   */
  onStoppedLeading(): void | Promise<void>;
  /** The Lease holder changed (as observed; '' when released). */
  onNewLeader?(identity: string): void;
  log?: Logger;
  /** Clear the holder on stop so a standby takes over at once (default true). */
  releaseOnStop?: boolean;
}

export type ElectionEnd = 'stopped' | 'lost';

type LeaseSpec = Lease['spec'];

export class LeaderElector {
  readonly #c: LeaderElectionConfig;
  readonly #log: Logger;
  readonly #leaseSeconds: number;
  readonly #stop = new AbortController();
  #state: 'new' | 'running' | 'ended' = 'new';
  #leading: AbortController | undefined;
  #cancelDeadline: (() => void) | undefined;
  #observed: string | undefined;
  #observedTime = 0;
  #observedHolder: string | undefined;
  #run: Promise<ElectionEnd> | undefined;
  #lost = false;
  /** onStoppedLeading in progress after a loss. */
  #ending: Promise<void> = Promise.resolve();

  /** @throws RangeError unless leaseDuration > renewDeadline > retryPeriod > 0 and names are set. */
  constructor(config: LeaderElectionConfig) {
    const { leaseDurationMs: lease, renewDeadlineMs: renew, retryPeriodMs: retry } = config;
    if (!(retry > 0 && renew > retry && lease > renew)) {
      throw new RangeError(`configuring leader election: need lease duration (${lease} ms) > renew deadline (${renew} ms) > retry period (${retry} ms) > 0`);
    }
    if (!config.identity || !config.name || !config.namespace) throw new RangeError('configuring leader election: identity, name and namespace must be set');
    this.#c = config;
    this.#log = (config.log ?? silentLogger).child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
    this.#leaseSeconds = Math.ceil(lease / 1000);
  }

  /** Whether this candidate leads now. */
  get isLeader(): boolean {
    return this.#leading !== undefined && !this.#leading.signal.aborted;
  }

  /** The holder last seen in the Lease ('' when released, undefined before the first read). */
  get observedLeader(): string | undefined {
    return this.#observedHolder;
  }

  /**
   * Starts campaigning in the background. Resolves (via `done`) once the elector has ended:
   * 'stopped' after stop(), 'lost' when leadership was lost (build a new elector to campaign again).
   * @throws Error when already started.
   */
  start(): void {
    if (this.#state !== 'new') throw new Error(`starting leader election for ${this.#c.name}: already started`);
    this.#state = 'running';
    this.#run = this.#campaign();
  }

  /** Resolves when the elector has ended (see start). */
  get done(): Promise<ElectionEnd> {
    return this.#run ?? Promise.resolve('stopped');
  }

  /** Stops campaigning; if leading, ends leadership and (by default) releases the Lease. Idempotent. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#leading?.abort();
    await this.#run;
  }

  async #campaign(): Promise<ElectionEnd> {
    const stop = this.#stop.signal;
    while (!stop.aborted && !(await this.#attempt())) await this.#sleep(stop);
    if (!stop.aborted) {
      const leading = this.#startLeading();
      while (!leading.aborted && (await this.#sleep(leading))) {
        const renewedAt = this.#c.clock.now();
        const held = await this.#attempt();
        if (leading.aborted) break;
        if (held) this.#armDeadline(renewedAt);
        else if (this.#observedHolder !== this.#c.identity) this.#lose(`the Lease is held by ${this.#observedHolder ?? 'someone else'}`);
      }
    }
    if (this.#leading) await this.#endLeading();
    await this.#ending;
    // After onStoppedLeading, and after any renewal still in flight has landed.
    if (this.#c.releaseOnStop ?? true) await this.#release();
    this.#state = 'ended';
    return this.#lost ? 'lost' : 'stopped';
  }

  /** Sleeps a retry period; false when the signal aborted it. */
  async #sleep(signal: AbortSignal): Promise<boolean> {
    try {
      await this.#c.clock.sleep(this.#c.retryPeriodMs, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Tries to take or renew the Lease once. Never throws: failures are logged and count as "no". */
  async #attempt(): Promise<boolean> {
    const { kube, clock, namespace, name, identity } = this.#c;
    const now = clock.now();
    const desired: LeaseSpec = {
      holderIdentity: identity, leaseDurationSeconds: this.#leaseSeconds,
      acquireTime: formatMicroTime(now), renewTime: formatMicroTime(now), leaseTransitions: 0,
    };
    try {
      let lease: Lease;
      try {
        lease = await kube.get('Lease', name, namespace);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await kube.create('Lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: desired });
        this.#observe(desired, now);
        return true;
      }
      const spec = lease.spec ?? {};
      this.#observe(spec, clock.now());
      const holder = spec.holderIdentity ?? '';
      if (holder !== '' && holder !== identity && this.#observedTime + (spec.leaseDurationSeconds ?? 0) * 1000 > clock.now()) return false;
      if (holder === identity) {
        desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
        desired.leaseTransitions = spec.leaseTransitions ?? 0;
      } else {
        desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
      }
      // The resourceVersion read is a precondition: a concurrent writer makes this a Conflict.
      await kube.update('Lease', { ...lease, spec: desired });
      this.#observe(desired, now);
      return true;
    } catch (e) {
      this.#log.debug({ err: e }, `${this.#leading ? 'renewing' : 'acquiring'} the leader Lease failed`);
      return false;
    }
  }

  /** Notes the record; its observed time moves only when it changes. */
  #observe(spec: LeaseSpec, at: number): void {
    const key = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime, spec.acquireTime, spec.leaseDurationSeconds, spec.leaseTransitions]);
    if (key === this.#observed) return;
    this.#observed = key;
    this.#observedTime = at;
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.#observedHolder) {
      this.#observedHolder = holder;
      this.#log.info({ leader: holder }, holder === '' ? 'the leader Lease was released' : `new leader: ${holder}`);
      this.#c.onNewLeader?.(holder);
    }
  }

  #startLeading(): AbortSignal {
    const leading = new AbortController();
    this.#leading = leading;
    this.#armDeadline(this.#observedTime);
    this.#log.info({}, 'acquired the leader Lease: leading');
    this.#c.onStartedLeading(leading.signal);
    return leading.signal;
  }

  /** Leadership ends at `renewedAt + renewDeadline` unless renewed again before. */
  #armDeadline(renewedAt: number): void {
    this.#cancelDeadline?.();
    const left = renewedAt + this.#c.renewDeadlineMs - this.#c.clock.now();
    this.#cancelDeadline = this.#c.clock.setTimer(left, () => this.#lose(`could not renew the Lease for ${this.#c.renewDeadlineMs} ms`));
  }

  #lose(why: string): void {
    if (!this.#leading) return;
    this.#log.warn({}, `lost leadership: ${why}`);
    this.#lost = true;
    this.#ending = this.#endLeading();
  }

  async #endLeading(): Promise<void> {
    const leading = this.#leading;
    if (!leading) return;
    this.#leading = undefined;
    this.#cancelDeadline?.();
    this.#cancelDeadline = undefined;
    leading.abort();
    try {
      await this.#c.onStoppedLeading();
    } catch (e) {
      this.#log.error({ err: e }, 'stopping after leadership ended failed');
    }
  }

  /** Clears the holder if it is still this candidate (a stale read makes the write a harmless Conflict). */
  async #release(): Promise<void> {
    const { kube, clock, namespace, name, identity } = this.#c;
    try {
      const lease = await kube.get('Lease', name, namespace);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = formatMicroTime(clock.now());
      await kube.update('Lease', {
        ...lease,
        spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 },
      });
      this.#log.info({}, 'released the leader Lease');
    } catch (e) {
      if (!isNotFound(e)) this.#log.warn({ err: e }, 'releasing the leader Lease failed');
    }
  }
}
