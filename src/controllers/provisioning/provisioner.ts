/**
 * The provisioning controller: woken by cluster state changes (a pod became provisionable, or
 * unbound with direct binding; a node started being disrupted; capacity planned for pods went
 * away; a NodePool's spec changed while pods were unschedulable), it batches them in a window
 * (idle / max) and then runs one round (round.ts). Rounds are decided one at a time (snapshot,
 * solve, NodeClaims written, plan kept); a round's Events and records are written while the next
 * one is decided, a few at a time and paused while the next one's claims are written
 * (event-lane.ts), and its claims count as capacity before the informer shows them
 * (unseen-claims.ts), so no pod is planned twice. A round that failed to create some NodeClaims is
 * retried with backoff, and pods that fit nowhere are looked at again after a while (offerings
 * marked unavailable expire, limits free up).
 */
import { NodeBaseChain } from '../../scheduling/node-base.js';
import type { StateChange } from '../../state/changes.js';
import { isReschedulable } from '../../state/pod-predicates.js';
import type { StateNode } from '../../state/state-node.js';
import type { ControllerContext } from '../context.js';
import { Batcher } from '../runtime/batcher.js';
import type { Quiescent } from '../runtime/reconciler.js';
import { EventDedupe } from './event-dedupe.js';
import { EventLane } from './event-lane.js';
import { PlanBook } from './plan-book.js';
import { RoundNames } from './round-names.js';
import type { RoundReport } from './round.js';
import { runRound } from './round.js';
import { UnseenClaims } from './unseen-claims.js';
import { warmUp } from './warm-up.js';

export type { RoundReport } from './round.js';

export interface ProvisionerOptions {
  /** The plan shared with direct binding (default: a new one, see `plan`). */
  plan?: PlanBook;
  /** Look again at pods that fit nowhere after this long (default 60 s). */
  recheckUnschedulableMs?: number;
  /** How long a created NodeClaim counts as capacity before the cluster state shows it (default 10 s). */
  seenTimeoutMs?: number;
  /** Round reports kept (default 100). */
  keepRounds?: number;
  /** CPU time in ms (default: process.cpuUsage), for the overhead figure. */
  cpuMs?: () => number;
  /** Wall time in ms (default: performance.now). */
  wallMs?: () => number;
  /** The same per-pod Event (pod, reason, message) is written at most once per this window (default 2 min). */
  eventDedupeMs?: number;
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

const processCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** After a planned node initialises, how long kube-scheduler gets to bind its pods before a new round. */
const INITIALIZED_RECHECK_MS = 10_000;

export class Provisioner implements Quiescent {
  readonly name = 'provisioning';
  /** Pod → NodeClaim/Node nominations (share with the direct binder). */
  readonly plan: PlanBook;
  readonly #ctx: ControllerContext;
  readonly #batcher: Batcher;
  readonly #recheckMs: number;
  readonly #unseen: UnseenClaims;
  readonly #keep: number;
  readonly #cpuMs: () => number;
  readonly #wallMs: () => number;
  readonly #reasons = new Map<string, string>();
  readonly #events: EventDedupe;
  readonly #eventLane = new EventLane();
  readonly #nodeBases = new NodeBaseChain();
  readonly #names = new RoundNames();
  readonly #poolGenerations = new Map<string, number | undefined>();
  readonly #rounds: RoundReport[] = [];
  /** The round being decided, if any. */
  #running: Promise<void> | undefined;
  /** Decided rounds still writing their Events and records. */
  readonly #settling = new Set<Promise<void>>();
  /** The latest round's writing of its Events and records (the next round's follow it). */
  #lastSettled: Promise<void> | undefined;
  /** The latest round's writing of its nominations onto existing capacity. */
  #lastNominated: Promise<void> | undefined;
  /** When the first window not yet served closed (clock ms). */
  #closedAt: number | undefined;
  #again = false;
  #warmed = false;
  #wake: { at: number; cancel: () => void } | undefined;
  #retryMs = RETRY_MIN_MS;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  /** Rounds that threw (the error is logged). */
  failedRounds = 0;

  /** @throws RangeError for batch durations that are not positive. */
  constructor(ctx: ControllerContext, options: ProvisionerOptions = {}) {
    this.#ctx = ctx;
    this.plan = options.plan ?? new PlanBook();
    this.#recheckMs = options.recheckUnschedulableMs ?? 60_000;
    this.#unseen = new UnseenClaims(ctx.state, ctx.clock, options.seenTimeoutMs ?? 10_000);
    this.#keep = options.keepRounds ?? 100;
    this.#cpuMs = options.cpuMs ?? processCpuMs;
    this.#wallMs = options.wallMs ?? (() => performance.now());
    this.#events = new EventDedupe(ctx.clock, options.eventDedupeMs);
    this.#batcher = new Batcher({
      clock: ctx.clock, idleMs: ctx.options.batchIdleMs, maxMs: ctx.options.batchMaxMs,
      onClose: (w) => {
        this.#closedAt ??= w.closedAt;
        this.#startRound();
      },
    });
  }

  /** Reports of the latest rounds, oldest first. */
  get rounds(): readonly RoundReport[] {
    return this.#rounds;
  }

  /** CPU ms from batch close to the first NodeClaim create of the latest round that created any. */
  get overheadMs(): number | undefined {
    for (let i = this.#rounds.length - 1; i >= 0; i--) {
      const o = this.#rounds[i]!.overheadCpuMs;
      if (o !== undefined) return o;
    }
    return undefined;
  }

  /**
   * Subscribes to the cluster state, and opens a window at once if pods are already waiting; if none
   * are, once the state is synced, runs a dry round (warm-up.ts) so the first real one is not cold.
   */
  start(): void {
    if (this.#unsubscribe || this.#stopped) return;
    this.#unseen.start();
    this.#unsubscribe = this.#ctx.state.subscribe((c) => this.#onChange(c));
    for (const np of this.#ctx.state.nodePools()) this.#poolGenerations.set(np.metadata.name ?? '', np.metadata.generation);
    if (this.#ctx.state.synced) this.#onSynced();
  }

  /** Opens the batch window, or extends the open one. */
  trigger(): void {
    if (!this.#stopped) this.#batcher.trigger();
  }

  /** Stops listening and batching; resolves when a running round has ended and written what it decided. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#batcher.stop();
    this.#wake?.cancel();
    this.#wake = undefined;
    await this.#running;
    await Promise.all(this.#settling);
    this.#unseen.stop();
  }

  isIdle(horizonMs = 0): boolean {
    if (this.#running || this.#settling.size > 0 || this.#again || !this.#batcher.isIdle()) return false;
    return this.#wake === undefined || this.#wake.at > this.#ctx.clock.now() + horizonMs;
  }

  #onChange(c: StateChange): void {
    switch (c.type) {
      case 'PodProvisionable':
        return this.trigger();
      case 'PodUnbound':
        if (this.#ctx.options.binding === 'direct') this.trigger();
        return;
      case 'NodeDisrupting':
        if (c.stateNode.pods.some(isReschedulable)) this.trigger();
        return;
      case 'Node':
        // Capacity planned for pods went away (a failed launch, say), or room freed for pods that fit nowhere.
        if (c.deleted && (this.#plannedOn(c.stateNode) || this.#reasons.size > 0)) this.trigger();
        // A planned node is up: kube-scheduler may pack it differently from the plan and leave some of
        // its pods pending, and nothing else would wake provisioning for them. Look again shortly.
        else if (!c.deleted && c.stateNode.initialized && this.#plannedOn(c.stateNode)) this.#wakeIn(INITIALIZED_RECHECK_MS);
        return;
      case 'NodePool': {
        const name = c.nodePool.metadata.name ?? '';
        const generation = c.nodePool.metadata.generation;
        const changed = !this.#poolGenerations.has(name) || this.#poolGenerations.get(name) !== generation;
        if (c.deleted) this.#poolGenerations.delete(name);
        else this.#poolGenerations.set(name, generation);
        if (changed && !c.deleted && this.#reasons.size > 0) this.trigger();
        return;
      }
      case 'Synced':
        return this.#onSynced();
      case 'Pod':
      case 'Object':
        return;
    }
  }

  #plannedOn(sn: StateNode): boolean {
    return (sn.nodeClaimName !== undefined && this.plan.plannedOnto(sn.nodeClaimName) > 0)
      || (sn.nodeName !== undefined && this.plan.plannedOnto(sn.nodeName) > 0);
  }

  #hasWork(): boolean {
    const s = this.#ctx.state;
    return s.pendingPods().length > 0 || s.reschedulablePods().length > 0
      || (this.#ctx.options.binding === 'direct' && s.unboundPods().length > 0);
  }

  #onSynced(): void {
    if (this.#hasWork()) this.trigger();
    else if (!this.#warmed && !this.#running && !this.#stopped) {
      this.#warmed = true;
      this.#run(warmUp(this.#ctx));
    }
  }

  #startRound(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#run(this.#round());
  }

  /** Holds rounds back while `work` runs; a round asked for meanwhile starts after it. */
  #run(work: Promise<unknown>): void {
    this.#running = work.then(() => undefined).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.#startRound();
      }
    });
  }

  async #round(): Promise<void> {
    let report: RoundReport;
    const windowClosedAt = this.#closedAt;
    this.#closedAt = undefined;
    try {
      const decided = await runRound({
        ctx: this.#ctx, plan: this.plan, reasons: this.#reasons, events: this.#events, eventLane: this.#eventLane, nodeBases: this.#nodeBases, names: this.#names, cpuMs: this.#cpuMs, wallMs: this.#wallMs,
        unseen: this.#unseen, ...(windowClosedAt !== undefined ? { windowClosedAt } : {}),
        ...(this.#lastSettled !== undefined ? { afterPrevious: this.#lastSettled } : {}),
        ...(this.#lastNominated !== undefined ? { afterPreviousNominated: this.#lastNominated } : {}),
      });
      report = decided.report;
      this.#lastSettled = decided.settled;
      this.#lastNominated = decided.nominated;
      const settling = decided.settled.finally(() => this.#settling.delete(settling));
      this.#settling.add(settling);
    } catch (e) {
      this.failedRounds++;
      this.#ctx.log.error({ error: String(e) }, 'provisioning round failed; retrying');
      this.#retryLater();
      return;
    }
    this.#rounds.push(report);
    if (this.#rounds.length > this.#keep) this.#rounds.splice(0, this.#rounds.length - this.#keep);
    const failedPools = report.skippedPools.some((p) => p.reason.startsWith('listing its instance types failed'));
    if (report.failedCreates > 0 || (failedPools && report.unschedulable > 0)) this.#retryLater();
    else {
      this.#retryMs = RETRY_MIN_MS;
      if (report.unschedulable > 0) this.#wakeIn(this.#recheckMs);
    }
  }

  #retryLater(): void {
    this.#wakeIn(this.#retryMs);
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  /** Triggers a round after `ms`, unless one is already due sooner. */
  #wakeIn(ms: number): void {
    if (this.#stopped) return;
    const at = this.#ctx.clock.now() + ms;
    if (this.#wake && this.#wake.at <= at) return;
    this.#wake?.cancel();
    const cancel = this.#ctx.clock.setTimer(ms, () => {
      this.#wake = undefined;
      this.trigger();
    });
    this.#wake = { at, cancel };
  }
}
