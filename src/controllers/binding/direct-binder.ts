/**
 * Direct binding (`--binding=direct`): nodewright binds the pods it planned onto a machine as soon
 * as the machine's Node is registered, initialised and Ready, without waiting for kube-scheduler.
 * A pod is bound at most once: the plan entry is kept until the cache shows the pod bound, and a
 * Conflict from the API (someone else bound it) is taken as done. A pod that no longer fits its
 * node (something else took the room, a taint appeared) is not bound: it is let go, for the next
 * provisioning round.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { isActive } from '../../state/pod-predicates.js';
import type { StateChange } from '../../state/changes.js';
import type { ControllerContext } from '../context.js';
import type { PlanBook } from '../provisioning/plan-book.js';
import { Controller } from '../runtime/controller.js';
import type { Quiescent, ReconcileResult } from '../runtime/reconciler.js';
import { fitOnNode } from './fit-check.js';
import { notReadyReason } from './readiness.js';

export interface DirectBinderOptions {
  /** Told about pods let go because they no longer fit (wire to Provisioner.trigger). */
  onReleased?: (pods: readonly string[]) => void;
  /** Machines bound at once (default 4). */
  concurrency?: number;
}

/** Thrown (and retried with backoff) when some binds failed for a reason other than Conflict/NotFound. */
export class BindError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BindError';
  }
}

export interface BinderStats {
  bound: number;
  /** Binds refused because the pod was bound meanwhile or is gone. */
  conflicts: number;
  /** Pods let go because they no longer fit. */
  released: number;
}

export class DirectBinder implements Quiescent {
  readonly name = 'binding.direct';
  readonly stats: BinderStats = { bound: 0, conflicts: 0, released: 0 };
  readonly #ctx: ControllerContext;
  readonly #plan: PlanBook;
  readonly #onReleased: ((pods: readonly string[]) => void) | undefined;
  readonly #controller: Controller;
  /** Pods this binder bound that the cache does not show bound yet: key → (uid, the pod, node). */
  readonly #recent = new Map<string, { uid: string | undefined; pod: Pod; node: string }>();
  #unsubscribe: (() => void)[] = [];

  constructor(ctx: ControllerContext, plan: PlanBook, options: DirectBinderOptions = {}) {
    this.#ctx = ctx;
    this.#plan = plan;
    this.#onReleased = options.onReleased;
    this.#controller = new Controller({ name: this.name, reconcile: (key) => this.reconcile(key) }, {
      clock: ctx.clock, concurrency: options.concurrency ?? 4,
      onError: (e) => ctx.log.warn({ node: e.key, error: e.message }, 'direct binding failed; retrying'),
    });
  }

  /** Starts binding, when the options ask for direct binding (otherwise does nothing). */
  start(): void {
    if (this.#ctx.options.binding !== 'direct' || this.#unsubscribe.length > 0) return;
    this.#unsubscribe = [
      this.#ctx.state.subscribe((c) => this.#onChange(c)),
      this.#plan.onPlanned((target) => this.#controller.enqueue(target)),
    ];
    this.#controller.start();
    for (const target of this.#plan.targets()) this.#controller.enqueue(target);
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    await this.#controller.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#controller.isIdle(horizonMs);
  }

  #onChange(c: StateChange): void {
    if (c.type !== 'Node' || c.deleted) return;
    for (const name of [c.stateNode.nodeClaimName, c.stateNode.nodeName]) {
      if (name !== undefined && this.#plan.onTarget(name).length > 0) this.#controller.enqueue(name);
    }
  }

  /**
   * Binds the still-unbound pods planned onto `target` (a NodeClaim or Node name) if its Node is
   * ready and they still fit. Waits (returns) while the machine is not ready: a Node change wakes it.
   * @throws BindError when some binds failed for a reason other than Conflict or NotFound.
   */
  async reconcile(target: string): Promise<ReconcileResult | void> {
    const entries = this.#plan.onTarget(target);
    if (entries.length === 0) return;
    const sn = this.#ctx.state.node(target);
    if (!sn?.nodeName || notReadyReason(sn) !== undefined) return;
    const nodeName = sn.nodeName;
    this.#pruneRecent();
    const pods: Pod[] = [];
    for (const e of entries) {
      if (this.#recent.has(e.pod)) continue; // bound by us; the cache will catch up
      const p = this.#ctx.state.pod(e.pod);
      if (!p || p.metadata.uid !== e.uid || p.spec.nodeName || !isActive(p)) {
        this.#plan.forget(e.pod);
        continue;
      }
      pods.push(p);
    }
    if (pods.length === 0) return;
    const alsoOnNode = [...this.#recent.values()].filter((r) => r.node === nodeName).map((r) => r.pod);
    const { fits, misfits } = fitOnNode(this.#ctx.state.snapshot(), sn.name, pods, alsoOnNode, this.#ctx.options.ignorePreferences);
    if (misfits.length > 0) this.#release(misfits, nodeName);
    const results = await Promise.allSettled(fits.map((p) => this.#ctx.kube.bind(p, nodeName)));
    const failures: string[] = [];
    results.forEach((r, i) => {
      const p = fits[i]!;
      const key = keyOf(p);
      if (r.status === 'fulfilled') {
        this.stats.bound++;
        this.#recent.set(key, { uid: p.metadata.uid, pod: { ...p, spec: { ...p.spec, nodeName } }, node: nodeName });
        return;
      }
      if (isConflict(r.reason) || isNotFound(r.reason)) {
        this.stats.conflicts++;
        this.#plan.forget(key);
        return;
      }
      failures.push(`${key}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    });
    if (failures.length > 0) throw new BindError(`binding ${failures.length} pod(s) to node ${nodeName}: ${failures.join('; ')}`);
  }

  #release(pods: readonly Pod[], nodeName: string): void {
    const keys = pods.map(keyOf);
    for (const k of keys) this.#plan.forget(k);
    this.stats.released += keys.length;
    this.#ctx.log.info({ node: nodeName, pods: keys }, 'planned pods no longer fit on their node; leaving them to the next provisioning round');
    this.#onReleased?.(keys);
  }

  /** Drops pods the cache now shows bound, or that went away. */
  #pruneRecent(): void {
    for (const [key, r] of this.#recent) {
      const p = this.#ctx.state.pod(key);
      if (!p || p.metadata.uid !== r.uid || p.spec.nodeName) this.#recent.delete(key);
    }
  }
}
