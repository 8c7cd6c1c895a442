/**
 * Giving up on a NodeClaim: it could not launch, or its Node never registered. The claim is
 * deleted (its termination finalizer still makes sure any machine behind it is terminated), and
 * why is kept as a 'launch-failed' decision, an Event on the claim and a log line.
 */
import { NODEPOOL_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { ControllerContext, Decision } from '../context.js';
import { deleteIfExists } from './object-writes.js';

export interface ClaimFailure {
  /** CamelCase Event reason ("InsufficientCapacity", "RegistrationTimeout"). */
  readonly reason: string;
  /** One line for the decision log. */
  readonly summary: string;
  /** Why, in words: what failed and what happens next. */
  readonly why: string;
  readonly alternativesRejected?: Decision['alternativesRejected'];
}

const MAX_NOTE = 1000;

/**
 * Records the failure and deletes the claim (one already gone is fine).
 * @throws KubeError when the delete fails for another reason than NotFound (the Event is best effort).
 */
export async function deleteFailedClaim(ctx: ControllerContext, claim: NodeClaim, failure: ClaimFailure): Promise<void> {
  const name = claim.metadata.name ?? '';
  const nodePool = claim.metadata.labels?.[NODEPOOL_LABEL];
  const decision: Decision = {
    time: ctx.clock.now(),
    kind: 'launch-failed',
    summary: failure.summary,
    why: failure.why,
    nodes: [name],
    ...(failure.alternativesRejected ? { alternativesRejected: failure.alternativesRejected } : {}),
    ...(nodePool !== undefined ? { nodePool } : {}),
  };
  ctx.decisions.record(decision);
  ctx.log.warn({ nodeclaim: name, nodepool: nodePool, reason: failure.reason }, `${failure.summary}: ${failure.why}`);
  try {
    await ctx.kube.recordEvent({
      regarding: { kind: 'NodeClaim', name, apiVersion: 'karpenter.sh/v1', ...(claim.metadata.uid ? { uid: claim.metadata.uid } : {}) },
      type: 'Warning',
      reason: failure.reason,
      note: `${failure.summary}: ${failure.why}`.slice(0, MAX_NOTE),
      action: 'Deleting',
    });
  } catch (e) {
    ctx.log.debug({ nodeclaim: name, error: (e as Error).message }, 'recording an event for a failed nodeclaim');
  }
  await deleteIfExists(ctx.kube, 'NodeClaim', name);
}
