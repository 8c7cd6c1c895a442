/**
 * Karpenter's disruption cost, which orders consolidation candidates: each pod costs 1, adjusted by
 * its controller.kubernetes.io/pod-deletion-cost and its priority, clamped to [-10, 10]; a node's
 * cost is the sum over its reschedulable pods times the fraction of its lifetime still ahead.
 */
import type { Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { DEFAULT_EXPIRE_AFTER } from '../../apis/v1/defaults.js';
import { parseDuration } from '../../utils/duration.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const clamp = (lo: number, v: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * The cost of evicting one pod. Deletion cost spans ±2^31, scaled by 2^27 (about ±16 pods);
 * priority spans -2^31..10^9, scaled by 2^25. A deletion cost that is not a number is ignored.
 */
export function evictionCost(pod: Pod): number {
  let cost = 1;
  const deletionCost = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (deletionCost !== undefined) {
    const n = Number(deletionCost);
    if (deletionCost.trim() !== '' && Number.isFinite(n)) cost += n / 2 ** 27;
  }
  if (pod.spec.priority !== undefined) cost += pod.spec.priority / 2 ** 25;
  return clamp(-10, cost, 10);
}

/** Summed eviction costs. */
export function reschedulingCost(pods: readonly Pod[]): number {
  let cost = 0;
  for (const p of pods) cost += evictionCost(p);
  return cost;
}

/** A claim's expireAfter in ms (Infinity for "Never" or unparsable) and its creation time, as parsed. */
export interface Lifetime {
  readonly lifetime: number;
  readonly created: number;
}

/**
 * The fraction of the claim's lifetime (expireAfter, default 720h) still ahead at `now`, in [0, 1];
 * 1 when it never expires or its age is unknown.
 */
export function lifetimeRemaining(claim: NodeClaim | undefined, now: number): number {
  return claim ? fractionLeft(lifetimeOf(claim), now) : 1;
}

/** lifetimeRemaining of the claim whose Lifetime this is (see lifetimeOf). */
export function fractionLeft({ lifetime, created }: Lifetime, now: number): number {
  return fractionLeftOf(lifetime, created, now);
}

/** fractionLeft of a Lifetime given by its two numbers (for callers that keep them in typed arrays). */
export function fractionLeftOf(lifetime: number, created: number, now: number): number {
  if (lifetime === Infinity || !(lifetime > 0) || !Number.isFinite(created)) return 1;
  return clamp(0, (lifetime - (now - created)) / lifetime, 1);
}

/** Per NodeClaim object (a new one on every update): its Lifetime, parsed once. */
const lifetimes = new WeakMap<NodeClaim, Lifetime>();

/** The claim's expireAfter and creation time (parsed once per claim object). */
export function lifetimeOf(claim: NodeClaim): Lifetime {
  let life = lifetimes.get(claim);
  if (!life) lifetimes.set(claim, (life = parseLifetime(claim)));
  return life;
}

function parseLifetime(claim: NodeClaim): Lifetime {
  let lifetime: number;
  try {
    lifetime = parseDuration(claim.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER, { allowNever: true });
  } catch {
    lifetime = Infinity; // unparsable: counts as never expiring (1)
  }
  return { lifetime, created: Date.parse(claim.metadata.creationTimestamp ?? '') };
}

/** A node's disruption cost: its pods' rescheduling cost times its remaining lifetime fraction. */
export function disruptionCost(pods: readonly Pod[], claim: NodeClaim | undefined, now: number): number {
  return reschedulingCost(pods) * lifetimeRemaining(claim, now);
}
