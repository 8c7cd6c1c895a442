/**
 * A NodeClaim's termination deadline: when its deletion started plus its terminationGracePeriod.
 * Past it, do-not-disrupt pods and PodDisruptionBudgets no longer hold the node. Karpenter writes
 * it onto the claim as the karpenter.sh/nodeclaim-termination-timestamp annotation; we read that
 * when present and compute it otherwise, so a node never waits for the annotation to arrive.
 */
import { NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { parseDuration } from '../../utils/duration.js';

/**
 * The deadline in epoch ms, or undefined when the claim is not being deleted, has no
 * terminationGracePeriod, or carries values that do not parse (then nothing is forced).
 */
export function terminationDeadline(claim: NodeClaim | undefined): number | undefined {
  if (!claim) return undefined;
  const annotated = claim.metadata.annotations?.[NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION];
  if (annotated !== undefined) {
    const t = Date.parse(annotated);
    if (Number.isFinite(t)) return t;
  }
  const deleted = claim.metadata.deletionTimestamp;
  const grace = claim.spec.terminationGracePeriod;
  if (deleted === undefined || grace === undefined) return undefined;
  const start = Date.parse(deleted);
  if (!Number.isFinite(start)) return undefined;
  try {
    return start + parseDuration(grace);
  } catch {
    return undefined;
  }
}
