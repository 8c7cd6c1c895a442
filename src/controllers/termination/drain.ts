/**
 * What draining a node means, as a pure plan over its pods: which to evict now, which to delete
 * because the termination deadline leaves no time to evict them, and which are still in the way.
 * Pods go in four tiers (non-critical, then non-critical DaemonSet pods, then critical, then
 * critical DaemonSet pods), so log shippers and node agents outlive the workloads they serve and
 * the cluster's own critical pods go last; a tier starts once the tiers before it are gone.
 */
import type { Pod } from '../../apis/core.js';
import { DISRUPTED_TAINT, isDoNotDisrupt } from '../../apis/labels.js';
import { tolerates } from '../../scheduling/taints.js';
import { isActive, isOwnedByDaemonSet, isOwnedByNode, isTerminal } from '../../state/pod-predicates.js';

/** Priority classes whose pods are critical: drained last. */
export const CRITICAL_PRIORITY_CLASSES: ReadonlySet<string> = new Set(['system-cluster-critical', 'system-node-critical']);

/** A terminating pod this long past its deletion deadline is stuck (its kubelet is gone): not waited for. */
export const STUCK_TERMINATING_MS = 60_000;

/** The API server's default pod grace period. */
const DEFAULT_GRACE_SECONDS = 30;

export type DrainTier = 0 | 1 | 2 | 3;

/** 0 non-critical, 1 non-critical DaemonSet, 2 critical, 3 critical DaemonSet. */
export function drainTier(pod: Pod): DrainTier {
  const critical = CRITICAL_PRIORITY_CLASSES.has(pod.spec.priorityClassName ?? '');
  const daemon = isOwnedByDaemonSet(pod);
  return ((critical ? 2 : 0) + (daemon ? 1 : 0)) as DrainTier;
}

function deletionAt(pod: Pod): number | undefined {
  const t = pod.metadata.deletionTimestamp;
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Whether draining waits for this pod: not finished, not a static pod (it dies with the node), not
 * tolerating the disrupted taint (it would only be scheduled straight back), and not stuck terminating.
 */
export function isWaitedFor(pod: Pod, now: number): boolean {
  if (isTerminal(pod) || isOwnedByNode(pod) || tolerates(pod.spec.tolerations, DISRUPTED_TAINT)) return false;
  const at = deletionAt(pod);
  return at === undefined || now < at + STUCK_TERMINATING_MS;
}

export interface PodDeletion {
  readonly pod: Pod;
  readonly gracePeriodSeconds: number;
}

export interface DrainPlan {
  /** Evict these now (active, not do-not-disrupt, in the first tier still present). */
  readonly evict: readonly Pod[];
  /** Delete these now: the deadline leaves no time for their full grace period. */
  readonly delete: readonly PodDeletion[];
  /** Pods draining still waits for (evicted ones included until gone). */
  readonly waiting: readonly Pod[];
  /** Active do-not-disrupt pods, which are never evicted; only the deadline moves them. */
  readonly heldByDoNotDisrupt: readonly Pod[];
  /** The tier being evicted, when any. */
  readonly tier: DrainTier | undefined;
  /** Nothing is left to wait for, or the deadline has passed. */
  readonly drained: boolean;
  /** When the plan next changes without any pod changing (a pod's delete time, the deadline), epoch ms. */
  readonly nextChangeAt: number | undefined;
}

/**
 * Plans one step of draining `pods` (those bound to the node) at `now`. With a termination
 * `deadline` (epoch ms), any pod whose grace period would run past it is deleted with the time
 * left (0 once it has passed), do-not-disrupt and budget-blocked pods included: that is what the
 * NodeClaim's terminationGracePeriod promises.
 */
export function planDrain(pods: readonly Pod[], now: number, deadline?: number): DrainPlan {
  const waiting = pods.filter((p) => isWaitedFor(p, now));
  const deletions: PodDeletion[] = [];
  let nextChangeAt: number | undefined = deadline !== undefined && deadline > now ? deadline : undefined;
  const later = (t: number): void => {
    if (t > now && (nextChangeAt === undefined || t < nextChangeAt)) nextChangeAt = t;
  };
  if (deadline !== undefined) {
    const left = Math.max(0, Math.floor((deadline - now) / 1000));
    for (const p of waiting) {
      const ends = deletionAt(p);
      // A terminating pod is re-deleted only to cut a grace period that runs past the deadline.
      if (ends !== undefined && ends <= deadline) continue;
      const startBy = ends !== undefined ? now : deadline - (p.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
      if (now >= startBy) deletions.push({ pod: p, gracePeriodSeconds: left });
      else later(startBy);
    }
  }
  const deleting = new Set(deletions.map((d) => d.pod));
  const held = waiting.filter((p) => isActive(p) && isDoNotDisrupt(p.metadata.annotations));
  const heldSet = new Set(held);
  // Pods held by do-not-disrupt wait for the deadline; they must not hold up the tiers behind them.
  const progressing = waiting.filter((p) => !heldSet.has(p));
  let tier: DrainTier | undefined;
  for (const p of progressing) {
    const t = drainTier(p);
    if (tier === undefined || t < tier) tier = t;
  }
  const evict = tier === undefined ? [] : progressing.filter((p) => isActive(p) && !deleting.has(p) && drainTier(p) === tier);
  return {
    evict,
    delete: deletions,
    waiting,
    heldByDoNotDisrupt: held,
    tier: evict.length > 0 ? tier : undefined,
    drained: waiting.length === 0 || (deadline !== undefined && now >= deadline),
    nextChangeAt,
  };
}
