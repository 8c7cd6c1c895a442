/** What one phase of the lifecycle reconcile (launch, registration, initialization) hands back. */
import type { NodeClaim } from '../../apis/v1/types.js';
import type { ReconcileResult } from '../runtime/reconciler.js';

/** Go on to the next phase with the claim as it now stands, or end this reconcile with a result. */
export type PhaseResult =
  | { readonly next: NodeClaim }
  | { readonly done: ReconcileResult };

export const proceed = (claim: NodeClaim): PhaseResult => ({ next: claim });
export const stop = (result: ReconcileResult = {}): PhaseResult => ({ done: result });

/** Milliseconds since the claim was created (0 when it has no creationTimestamp). */
export function claimAgeMs(claim: NodeClaim, now: number): number {
  const created = claim.metadata.creationTimestamp;
  if (!created) return 0;
  const t = Date.parse(created);
  return Number.isFinite(t) ? Math.max(0, now - t) : 0;
}
