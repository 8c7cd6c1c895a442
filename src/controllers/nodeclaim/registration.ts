/**
 * The registration phase: find the claim's Node by providerID, make it the claim's (labels,
 * annotations, taints, termination finalizer, owner reference, unregistered taint removed,
 * karpenter.sh/registered=true), then mark the claim Registered with its nodeName. A claim whose
 * Node has not appeared within the registration timeout is deleted.
 */
import type { Node, Taint } from '../../apis/core.js';
import { REGISTERED_LABEL, sameTaint, TERMINATION_FINALIZER, UNREGISTERED_TAINT } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { API_VERSION, ConditionTypes } from '../../apis/v1/types.js';
import { formatDuration } from '../../utils/duration.js';
import type { ControllerContext } from '../context.js';
import { deleteFailedClaim } from './claim-failure.js';
import { isConditionTrue } from './conditions.js';
import { getIfExists, patchClaimStatus } from './object-writes.js';
import type { PhaseResult } from './phase.js';
import { claimAgeMs, proceed, stop } from './phase.js';

/**
 * The Node as its claim registers it (a new object; the input is not modified): the claim's labels
 * and annotations laid over the Node's, karpenter.sh/registered=true, the claim's taints and
 * startup taints added once (on the first sync only, so a startup taint removed later is not put
 * back), the unregistered taint removed, the termination finalizer and an owner reference to the
 * claim added.
 */
export function registeredNode(node: Node, claim: NodeClaim): Node {
  const next = structuredClone(node);
  const meta = next.metadata;
  const firstSync = node.metadata.labels?.[REGISTERED_LABEL] !== 'true';
  meta.labels = { ...meta.labels, ...claim.metadata.labels, [REGISTERED_LABEL]: 'true' };
  if (claim.metadata.annotations && Object.keys(claim.metadata.annotations).length > 0) {
    meta.annotations = { ...meta.annotations, ...claim.metadata.annotations };
  }
  let taints: Taint[] = [...(next.spec?.taints ?? [])];
  if (firstSync) {
    for (const t of [...(claim.spec.taints ?? []), ...(claim.spec.startupTaints ?? [])]) {
      if (!taints.some((x) => sameTaint(x, t))) taints.push({ ...t });
    }
  }
  taints = taints.filter((t) => !sameTaint(t, UNREGISTERED_TAINT));
  next.spec = { ...next.spec, taints };
  if (!meta.finalizers?.includes(TERMINATION_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), TERMINATION_FINALIZER];
  const uid = claim.metadata.uid ?? '';
  if (!meta.ownerReferences?.some((o) => o.kind === 'NodeClaim' && o.uid === uid)) {
    meta.ownerReferences = [...(meta.ownerReferences ?? []), {
      apiVersion: API_VERSION, kind: 'NodeClaim', name: claim.metadata.name ?? '', uid, blockOwnerDeletion: true,
    }];
  }
  return next;
}

export class RegistrationPhase {
  readonly #ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /**
   * Registers the claim's Node unless Registered=True already.
   * @throws KubeError (Conflict on a stale Node or claim; the caller retries with backoff).
   */
  async reconcile(claim: NodeClaim): Promise<PhaseResult> {
    if (isConditionTrue(claim, ConditionTypes.Registered)) return proceed(claim);
    const providerID = claim.status?.providerID;
    const cached = providerID ? this.#ctx.state.nodeByProviderID(providerID)?.node : undefined;
    const node = cached ? await getIfExists(this.#ctx.kube, 'Node', cached.metadata.name ?? '') : undefined;
    if (!node || node.spec?.providerID !== providerID) return this.#awaitNode(claim);
    // A Node already going away is left to termination; registering it would only race that.
    if (node.metadata.deletionTimestamp) return stop();
    const synced = registeredNode(node, claim);
    if (JSON.stringify(synced) !== JSON.stringify(node)) await this.#ctx.kube.update('Node', synced);
    const nodeName = node.metadata.name ?? '';
    const written = await patchClaimStatus(this.#ctx.kube, claim, this.#ctx.clock.now(), [{ type: ConditionTypes.Registered, status: 'True' }], { nodeName });
    if (!written) return stop();
    this.#ctx.log.info({ nodeclaim: claim.metadata.name, node: nodeName, providerID }, 'registered nodeclaim');
    return proceed(written);
  }

  async #awaitNode(claim: NodeClaim): Promise<PhaseResult> {
    const timeout = this.#ctx.options.registrationTimeoutMs;
    const remaining = timeout - claimAgeMs(claim, this.#ctx.clock.now());
    if (remaining > 0) return stop({ requeueAfterMs: remaining });
    const name = claim.metadata.name ?? '';
    await deleteFailedClaim(this.#ctx, claim, {
      reason: 'RegistrationTimeout',
      summary: `nodeclaim ${name} did not register a node within ${formatDuration(timeout)}`,
      why: `no Node with providerID ${claim.status?.providerID ?? '(none)'} appeared; the claim is deleted, which terminates its machine, `
        + 'and its pods are provisioned for again',
    });
    return stop();
  }
}
