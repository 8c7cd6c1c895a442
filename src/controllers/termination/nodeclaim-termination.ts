/**
 * `nodeclaim.termination`: the finalizer of a NodeClaim. When the claim is deleted: its termination
 * deadline is written as an annotation (when it has a terminationGracePeriod), its Node is deleted
 * and waited for (the Node's own finalizer drains it and deletes the machine), then the machine is
 * deleted, retried every 5 s until the cloud reports it gone (a claim that never got a Node, or
 * whose launch is still in flight, is covered the same way); only then is the finalizer removed.
 */
import { NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION, TERMINATION_FINALIZER } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { isNodeClaimNotFound } from '../../cloudprovider/cloud-provider.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { ControllerContext, Logger } from '../context.js';
import { deleteIfExists, getIfExists, patchClaimStatus, removeFinalizer } from '../nodeclaim/object-writes.js';
import type { Reconciler, ReconcileResult } from '../runtime/reconciler.js';
import { terminationDeadline } from './deadline.js';
import { INSTANCE_DELETE_RETRY_MS } from './node-termination.js';

export const NODECLAIM_TERMINATION = 'nodeclaim.termination';
/** Node deletion is followed through Node changes; this only bounds how long a missed one could stall it. */
const NODE_RECHECK_MS = 30_000;

export class NodeClaimTermination implements Reconciler {
  readonly name = NODECLAIM_TERMINATION;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ controller: NODECLAIM_TERMINATION });
  }

  /**
   * Finalizes the NodeClaim named `key` if it is being deleted.
   * @throws KubeError (conflicts, API failures): the runtime retries with backoff.
   */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    let claim = await getIfExists(this.#ctx.kube, 'NodeClaim', key);
    if (!claim?.metadata.deletionTimestamp || !claim.metadata.finalizers?.includes(TERMINATION_FINALIZER)) return;
    claim = await this.#annotateDeadline(claim);
    const providerID = claim.status?.providerID;
    const node = providerID ? this.#ctx.state.nodeByProviderID(providerID)?.node : undefined;
    if (node) {
      if (!node.metadata.deletionTimestamp) await deleteIfExists(this.#ctx.kube, 'Node', node.metadata.name ?? '');
      return { requeueAfterMs: NODE_RECHECK_MS };
    }
    try {
      await this.#ctx.cloud.delete(claim);
    } catch (e) {
      if (!isNodeClaimNotFound(e)) {
        this.#log.warn({ nodeclaim: key, error: (e as Error).message }, 'deleting the machine failed, retrying');
        return { requeueAfterMs: INSTANCE_DELETE_RETRY_MS };
      }
      await removeFinalizer(this.#ctx.kube, 'NodeClaim', claim, TERMINATION_FINALIZER);
      this.#log.info({ nodeclaim: key, providerID }, 'deleted nodeclaim');
      return;
    }
    await patchClaimStatus(this.#ctx.kube, claim, this.#ctx.clock.now(), [{ type: ConditionTypes.InstanceTerminating, status: 'True' }]);
    return { requeueAfterMs: INSTANCE_DELETE_RETRY_MS };
  }

  async #annotateDeadline(claim: NodeClaim): Promise<NodeClaim> {
    if (claim.metadata.annotations?.[NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION] !== undefined) return claim;
    const deadline = terminationDeadline(claim);
    if (deadline === undefined) return claim;
    const value = formatKubeTime(deadline);
    return await this.#ctx.kube.patch('NodeClaim', claim.metadata.name ?? '', {
      metadata: { resourceVersion: claim.metadata.resourceVersion, annotations: { [NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION]: value } },
    });
  }
}
