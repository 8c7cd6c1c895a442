/**
 * The eviction queue of node termination: each pod to evict is a key, evicted through the
 * eviction API; a PodDisruptionBudget that forbids it now (429) is retried per pod with backoff
 * from 100 ms doubling to 10 s, as Karpenter's queue does. A pod that is gone, replaced (another
 * uid), or whose node is gone leaves the queue.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isConflict, isNotFound, isTooManyRequests, KubeError } from '../../kube/errors.js';
import type { ControllerContext, Logger } from '../context.js';
import { Controller } from '../runtime/controller.js';
import { ExponentialRateLimiter } from '../runtime/rate-limiter.js';
import type { Quiescent, ReconcileResult } from '../runtime/reconciler.js';

export const EVICTION_QUEUE = 'node.termination.eviction';
export const EVICTION_BACKOFF = { baseMs: 100, maxMs: 10_000 } as const;

interface Pending {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string | undefined;
  readonly nodeName: string;
}

export interface EvictionQueueOptions {
  /** Evictions at once (default 10). */
  concurrency?: number;
}

export class EvictionQueue implements Quiescent {
  readonly name = EVICTION_QUEUE;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  readonly #pending = new Map<string, Pending>();
  readonly #controller: Controller;
  /** Evictions the API accepted, and refusals (429) seen, since start. */
  readonly stats = { evicted: 0, refused: 0 };

  constructor(ctx: ControllerContext, options: EvictionQueueOptions = {}) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ controller: EVICTION_QUEUE });
    this.#controller = new Controller({ name: EVICTION_QUEUE, reconcile: (key) => this.#evict(key) }, {
      clock: ctx.clock,
      concurrency: options.concurrency ?? 10,
      rateLimiter: new ExponentialRateLimiter(EVICTION_BACKOFF),
      onError: (e) => this.#log.warn({ pod: e.key }, e.message),
    });
  }

  /** Pods queued or backing off. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Queues the pod's eviction. A pod already queued keeps its place and its backoff: re-adding
   * it on every drain pass must not turn a 10 s backoff into a busy loop.
   */
  add(pod: Pod, nodeName: string): void {
    const key = keyOf(pod);
    if (this.#pending.has(key)) return;
    this.#pending.set(key, { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid, nodeName });
    this.#controller.enqueue(key);
  }

  /** Whether the pod is queued or backing off. */
  has(pod: Pod): boolean {
    return this.#pending.has(keyOf(pod));
  }

  start(): void {
    this.#controller.start();
  }

  async stop(): Promise<void> {
    await this.#controller.stop();
  }

  isIdle(horizonMs?: number): boolean {
    return this.#controller.isIdle(horizonMs);
  }

  async #evict(key: string): Promise<ReconcileResult | void> {
    const p = this.#pending.get(key);
    if (!p) return;
    if (this.#ctx.state.machineRecord(p.nodeName) === undefined) {
      this.#pending.delete(key);
      return;
    }
    try {
      await this.#ctx.kube.evict({ metadata: { name: p.name, namespace: p.namespace, ...(p.uid ? { uid: p.uid } : {}) } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) {
        this.#pending.delete(key);
        return;
      }
      if (isTooManyRequests(e) || (e instanceof KubeError && e.reason === 'InternalError')) {
        // 429: a budget forbids it now. 500: several budgets select the pod; that may be fixed by a user.
        this.stats.refused++;
        this.#log.debug({ pod: key, node: p.nodeName, error: e.message }, 'eviction refused, retrying');
        return { requeue: true };
      }
      throw e;
    }
    this.#pending.delete(key);
    this.stats.evicted++;
    this.#log.info({ pod: key, node: p.nodeName }, 'evicted pod');
    try {
      await this.#ctx.kube.recordEvent({
        regarding: { kind: 'Pod', name: p.name, namespace: p.namespace, ...(p.uid ? { uid: p.uid } : {}) },
        type: 'Normal', reason: 'Evicted', note: `Evicted pod: node ${p.nodeName} is being terminated`, action: 'Evicting',
      });
    } catch (e) {
      this.#log.debug({ pod: key, error: (e as Error).message }, 'recording an eviction event');
    }
  }
}
