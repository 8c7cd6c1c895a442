/**
 * The DecisionLog: where every provisioning and disruption decision is kept so it can be explained
 * later. Each record is stored (the last `capacity`, queryable by pod, node, NodePool, kind and
 * time), written as a log line, and recorded as Kubernetes Events on the objects it concerns (at a
 * bounded rate). The `explain` command asks it why a pod is pending, where a pod was planned, and
 * why a node was not consolidated.
 */
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import type { Decision, DecisionKind, DecisionSink, Logger } from '../context.js';
import type { Quiescent } from '../runtime/reconciler.js';
import type { MachineKindOf } from './decision-events.js';
import { decisionEventCount, decisionEvents, TokenBucket } from './decision-events.js';
import { placementsOf } from './placement.js';
import type { DecisionQuery } from './record-store.js';
import { DecisionStore } from './record-store.js';

export type { DecisionQuery } from './record-store.js';
export { machineKindFromState } from './decision-events.js';

export interface DecisionLogOptions {
  clock: Clock;
  /** Where Events go; without it no Events are recorded. */
  kube?: KubeClient;
  log?: Logger;
  /** Records kept (default 10,000). */
  capacity?: number;
  /** Events written at once before the rate applies (default 50). */
  eventBurst?: number;
  /** Sustained Events per second (default 5); events beyond the rate are dropped and counted. */
  eventsPerSecond?: number;
  /** Most NodeClaims/Nodes (or pods) one decision writes Events on (default 10). */
  maxEventObjects?: number;
  /** Tells Nodes from NodeClaims for the Events' `regarding` (e.g. from the cluster state). */
  machineKindOf?: MachineKindOf;
  /**
   * Kinds recorded without Events. Default: 'unschedulable', because provisioning already writes
   * a FailedScheduling Event with the same reason on the pod.
   */
  silentKinds?: readonly DecisionKind[];
}

/** What the log knows about a pending pod. */
export type PendingExplanation =
  /** Planned onto `node` (a NodeClaim launched for it when `launched`), by `decision`. */
  | { readonly state: 'planned'; readonly node: string | undefined; readonly launched: boolean; readonly decision: Decision }
  /** Fits nowhere, for `reason`. */
  | { readonly state: 'unschedulable'; readonly reason: string; readonly decision: Decision }
  /** No decision names it (not seen by provisioning, or its records fell off the log). */
  | { readonly state: 'unknown' };

/** Kinds that act on a node: a later one supersedes an earlier "blocked". */
const DISRUPTING: readonly DecisionKind[] = ['consolidate-delete', 'consolidate-replace', 'expire', 'drift', 'empty', 'interruption'];

export class DecisionLog implements DecisionSink, Quiescent {
  readonly #store: DecisionStore;
  readonly #kube: KubeClient | undefined;
  readonly #log: Logger | undefined;
  readonly #bucket: TokenBucket;
  readonly #maxObjects: number;
  readonly #kindOf: MachineKindOf;
  readonly #silent: ReadonlySet<DecisionKind>;
  #pendingWrites = 0;
  /** Events not written because of the rate limit. */
  droppedEvents = 0;
  /** Event writes that failed (logged). */
  failedEvents = 0;

  /** @throws RangeError for a capacity or rate that is not positive. */
  constructor(options: DecisionLogOptions) {
    this.#store = new DecisionStore(options.capacity ?? 10_000);
    this.#kube = options.kube;
    this.#log = options.log;
    this.#bucket = new TokenBucket(options.clock, options.eventBurst ?? 50, options.eventsPerSecond ?? 5);
    this.#maxObjects = options.maxEventObjects ?? 10;
    this.#kindOf = options.machineKindOf ?? (() => undefined);
    this.#silent = new Set(options.silentKinds ?? ['unschedulable']);
  }

  /** Records kept. */
  get size(): number {
    return this.#store.size;
  }

  /** Stores the decision, logs it, and writes its Events (never throws, never waits). */
  record(decision: Decision): void {
    this.#store.add(decision);
    this.#logLine(decision);
    if (!this.#kube || this.#silent.has(decision.kind)) return;
    // Tokens first: most decisions get none at a busy time, and then no event is built at all.
    const wanted = decisionEventCount(decision, this.#maxObjects);
    const granted = this.#bucket.takeUpTo(wanted);
    this.droppedEvents += wanted - granted;
    if (granted === 0) return;
    for (const event of decisionEvents(decision, this.#maxObjects, this.#kindOf).slice(0, granted)) {
      this.#pendingWrites++;
      this.#kube.recordEvent(event).catch((e: unknown) => {
        this.failedEvents++;
        this.#log?.warn({ decision: decision.kind, regarding: `${event.regarding.kind}/${event.regarding.name}`, error: String(e) },
          'recording the event of a decision failed');
      }).finally(() => {
        this.#pendingWrites--;
      });
    }
  }

  /** Matching decisions, oldest first (see DecisionQuery). */
  query(q: DecisionQuery = {}): Decision[] {
    return this.#store.query(q);
  }

  /** The latest thing provisioning decided about the pod ("namespace/name"). */
  whyPending(pod: string): PendingExplanation {
    const [latest] = this.#store.query({ pod, kind: ['provision', 'unschedulable'], limit: 1 });
    if (!latest) return { state: 'unknown' };
    if (latest.kind === 'unschedulable') return { state: 'unschedulable', reason: latest.why, decision: latest };
    const placement = placementsOf(latest)?.find((p) => p.pods.includes(pod));
    const node = placement?.node ?? (latest.nodes?.length === 1 ? latest.nodes[0] : undefined);
    return { state: 'planned', node, launched: placement?.launched ?? true, decision: latest };
  }

  /** Where the pod was last planned (NodeClaim or Node name), with the decision that did it. */
  plannedFor(pod: string): { readonly node: string; readonly launched: boolean; readonly decision: Decision } | undefined {
    const decisions = this.#store.query({ pod, kind: 'provision' });
    for (let i = decisions.length - 1; i >= 0; i--) {
      const d = decisions[i]!;
      const placement = placementsOf(d)?.find((p) => p.pods.includes(pod));
      if (placement) return { node: placement.node, launched: placement.launched, decision: d };
    }
    return undefined;
  }

  /**
   * The latest decision that kept the node (NodeClaim or Node name) from being disrupted, unless
   * the node was disrupted after it; undefined when nothing blocked it.
   */
  whyNotConsolidated(node: string): Decision | undefined {
    const [latest] = this.#store.query({ node, kind: ['disruption-blocked', ...DISRUPTING], limit: 1 });
    return latest?.kind === 'disruption-blocked' ? latest : undefined;
  }

  /** No Event write is in flight. */
  isIdle(): boolean {
    return this.#pendingWrites === 0;
  }

  #logLine(d: Decision): void {
    if (!this.#log) return;
    const fields: Record<string, unknown> = { decision: d.kind, why: d.why };
    if (d.nodePool !== undefined) fields['nodepool'] = d.nodePool;
    if (d.nodes?.length) fields['nodes'] = d.nodes.length > 20 ? [...d.nodes.slice(0, 20), `+${d.nodes.length - 20} more`] : d.nodes;
    if (d.pods?.length) fields['pods'] = d.pods.length;
    if (d.alternativesRejected?.length) fields['rejected'] = d.alternativesRejected;
    if (d.costPerHourBefore !== undefined) fields['costPerHourBefore'] = d.costPerHourBefore;
    if (d.costPerHourAfter !== undefined) fields['costPerHourAfter'] = d.costPerHourAfter;
    const warn = d.kind === 'launch-failed' || d.kind === 'unschedulable' || d.kind === 'disruption-blocked';
    if (warn) this.#log.warn(fields, d.summary);
    else this.#log.info(fields, d.summary);
  }
}
