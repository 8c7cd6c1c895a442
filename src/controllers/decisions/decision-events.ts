/**
 * How a decision surfaces as Kubernetes Events: on the NodePool, the NodeClaims or Nodes, and only
 * when neither is named, on the pods; a few objects per decision, at a bounded rate, so a round
 * that moves a thousand pods does not write a thousand Events (pods get their own Nominated and
 * FailedScheduling events from the controllers).
 */
import type { ClusterState } from '../../state/cluster-state.js';
import type { Clock } from '../../utils/clock.js';
import type { EventInput } from '../../kube/types.js';
import type { Decision, DecisionKind } from '../context.js';

/** Reasons per kind, CamelCase as Kubernetes event reasons are. */
const REASONS: { readonly [K in DecisionKind]: string } = {
  'provision': 'ProvisioningDecision',
  'consolidate-delete': 'ConsolidationDelete',
  'consolidate-replace': 'ConsolidationReplace',
  'expire': 'Expired',
  'drift': 'Drifted',
  'empty': 'Empty',
  'interruption': 'Interrupted',
  'launch-failed': 'LaunchFailed',
  'unschedulable': 'Unschedulable',
  'disruption-blocked': 'DisruptionBlocked',
};

const WARNINGS: ReadonlySet<DecisionKind> = new Set<DecisionKind>(['launch-failed', 'unschedulable', 'disruption-blocked']);

/** The event reason a decision of this kind is recorded under. */
export function eventReason(kind: DecisionKind): string {
  return REASONS[kind];
}

/** Tells whether a name is a Node or a NodeClaim (unknown names: undefined). */
export type MachineKindOf = (name: string) => 'Node' | 'NodeClaim' | undefined;

/** A resolver over the cluster state: a name the cache knows as a Node is a Node, else a NodeClaim. */
export function machineKindFromState(state: ClusterState): MachineKindOf {
  return (name) => {
    const rec = state.machineRecord(name);
    if (!rec) return undefined;
    return rec.node?.metadata.name === name ? 'Node' : 'NodeClaim';
  };
}

/** Kinds whose `nodes` are NodeClaims when the resolver does not know the name. */
const CLAIM_KINDS: ReadonlySet<DecisionKind> = new Set<DecisionKind>(['provision', 'launch-failed']);

/** "summary: why" (the client trims to 1 kB). */
function note(d: Decision): string {
  const alternatives = d.alternativesRejected?.length
    ? ` Rejected: ${d.alternativesRejected.map((a) => `${a.option} (${a.reason})`).join('; ')}.`
    : '';
  return `${d.summary}: ${d.why}${alternatives}`;
}

/**
 * The events for a decision: its NodePool and up to `maxObjects` NodeClaims/Nodes, or, when it
 * names neither, up to `maxObjects` of its pods.
 */
export function decisionEvents(d: Decision, maxObjects: number, kindOf: MachineKindOf): EventInput[] {
  const base = { type: WARNINGS.has(d.kind) ? 'Warning' as const : 'Normal' as const, reason: eventReason(d.kind), note: note(d) };
  const out: EventInput[] = [];
  if (d.nodePool !== undefined) out.push({ ...base, regarding: { kind: 'NodePool', name: d.nodePool, apiVersion: 'karpenter.sh/v1' } });
  for (const name of (d.nodes ?? []).slice(0, maxObjects)) {
    const kind = kindOf(name) ?? (CLAIM_KINDS.has(d.kind) ? 'NodeClaim' : 'Node');
    out.push({ ...base, regarding: { kind, name, apiVersion: kind === 'Node' ? 'v1' : 'karpenter.sh/v1' } });
  }
  if (out.length > 0) return out;
  for (const key of (d.pods ?? []).slice(0, maxObjects)) {
    const slash = key.indexOf('/');
    const namespace = slash < 0 ? 'default' : key.slice(0, slash);
    out.push({ ...base, regarding: { kind: 'Pod', namespace, name: key.slice(slash + 1), apiVersion: 'v1' } });
  }
  return out;
}

/**
 * How many events {@link decisionEvents} returns for the decision, counted without building them:
 * the NodePool's and up to `maxObjects` NodeClaims/Nodes, or, when neither is named, up to
 * `maxObjects` pods.
 */
export function decisionEventCount(d: Decision, maxObjects: number): number {
  const machines = (d.nodePool !== undefined ? 1 : 0) + headLength(d.nodes?.length ?? 0, maxObjects);
  return machines > 0 ? machines : headLength(d.pods?.length ?? 0, maxObjects);
}

/** The length of `list.slice(0, end)` for a list of `length` items (negative and NaN ends as slice takes them). */
function headLength(length: number, end: number): number {
  const e = Math.trunc(end) || 0;
  return e < 0 ? Math.max(0, length + e) : Math.min(e, length);
}

/** A token bucket on the Clock: `burst` at once, refilled at `perSecond`. */
export class TokenBucket {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  /** @throws RangeError unless burst >= 1 and perSecond > 0. */
  constructor(clock: Clock, burst: number, perSecond: number) {
    if (!(burst >= 1) || !(perSecond > 0)) throw new RangeError(`event rate: burst must be >= 1 and perSecond > 0, got ${burst} and ${perSecond}`);
    this.#clock = clock;
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** Takes a token if one is left. */
  take(): boolean {
    return this.takeUpTo(1) === 1;
  }

  /**
   * Takes up to `n` tokens at once and returns how many it took: the same state and answers as `n`
   * calls of take() at this instant (the refill is added once; a bucket short of a token stays
   * short until the clock moves, so the ones granted are the first). With `n` = 0 nothing changes.
   */
  takeUpTo(n: number): number {
    if (n <= 0) return 0;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    let taken = 0;
    while (taken < n && this.#tokens >= 1) {
      this.#tokens -= 1;
      taken++;
    }
    return taken;
  }
}
