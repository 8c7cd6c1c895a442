/**
 * `node.termination`: the finalizer of a managed Node. When the Node is deleted: its NodeClaim is
 * deleted too; the Node is tainted karpenter.sh/disrupted:NoSchedule and excluded from load
 * balancers; its pods are drained tier by tier through the eviction queue (do-not-disrupt pods and
 * budgets honoured until the claim's termination deadline); then the machine is deleted, retried
 * every 5 s until the cloud says it is gone; only then is the finalizer removed.
 */
import type { Node } from '../../apis/core.js';
import { DISRUPTED_TAINT, EXCLUDE_FROM_LOAD_BALANCERS_LABEL, isDisruptedTaint, TERMINATION_FINALIZER } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { isNodeClaimNotFound } from '../../cloudprovider/cloud-provider.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { ControllerContext, Logger } from '../context.js';
import { deleteIfExists, getIfExists, patchClaimStatus, removeFinalizer } from '../nodeclaim/object-writes.js';
import type { Reconciler, ReconcileResult } from '../runtime/reconciler.js';
import { terminationDeadline } from './deadline.js';
import type { DrainPlan } from './drain.js';
import { planDrain } from './drain.js';
import type { EvictionQueue } from './eviction-queue.js';

export const NODE_TERMINATION = 'node.termination';
/** How often the machine's deletion is retried until the cloud reports it gone. */
export const INSTANCE_DELETE_RETRY_MS = 5_000;
/** Drain is driven by pod changes; this only bounds how long a missed one could stall it. */
const DRAIN_RECHECK_MS = 30_000;

/** The Node with the disrupted taint and the load-balancer exclusion label (same object when both are there). */
export function cordonedForTermination(node: Node): Node {
  const tainted = node.spec?.taints?.some(isDisruptedTaint) ?? false;
  const labelled = node.metadata.labels?.[EXCLUDE_FROM_LOAD_BALANCERS_LABEL] === 'true';
  if (tainted && labelled) return node;
  const next = structuredClone(node);
  next.metadata.labels = { ...next.metadata.labels, [EXCLUDE_FROM_LOAD_BALANCERS_LABEL]: 'true' };
  if (!tainted) next.spec = { ...next.spec, taints: [...(next.spec?.taints ?? []), { ...DISRUPTED_TAINT }] };
  return next;
}

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export class NodeTermination implements Reconciler {
  readonly name = NODE_TERMINATION;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  readonly #evictions: EvictionQueue;

  constructor(ctx: ControllerContext, evictions: EvictionQueue) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ controller: NODE_TERMINATION });
    this.#evictions = evictions;
  }

  /**
   * Finalizes the Node named `key` if it is being deleted.
   * @throws KubeError (conflicts, API failures): the runtime retries with backoff.
   */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    // The machine's objects as the cache holds them now (the record changes across the awaits below).
    const rec = this.#ctx.state.machineRecord(key);
    const inCache = rec?.node?.metadata.name === key;
    const cachedClaim = inCache ? rec.nodeClaim : undefined;
    const cached = inCache ? rec.node : await getIfExists(this.#ctx.kube, 'Node', key);
    if (!cached?.metadata.deletionTimestamp || !cached.metadata.finalizers?.includes(TERMINATION_FINALIZER)) return;
    let claim = cachedClaim ?? await this.#ownerClaim(cached);
    if (claim && !claim.metadata.deletionTimestamp) {
      // Deleting a Node deletes its claim: the machine is going either way.
      await deleteIfExists(this.#ctx.kube, 'NodeClaim', claim.metadata.name ?? '');
      claim = await getIfExists(this.#ctx.kube, 'NodeClaim', claim.metadata.name ?? '');
    }
    // A machine already gone with a kubelet no longer reporting has nothing left to drain.
    if (!isReady(cached) && cached.spec?.providerID && await this.#instanceGone(cached.spec.providerID)) {
      return this.#finish(cached, claim, 'its machine is already gone');
    }
    const node = await getIfExists(this.#ctx.kube, 'Node', key);
    if (!node) return;
    const cordoned = cordonedForTermination(node);
    if (cordoned !== node) await this.#ctx.kube.update('Node', cordoned);

    const now = this.#ctx.clock.now();
    const plan = planDrain(this.#ctx.state.podsOnNode(key), now, terminationDeadline(claim));
    await this.#act(plan, key);
    if (!plan.drained) {
      await this.#setClaimConditions(claim, [{ type: ConditionTypes.Drained, status: 'Unknown', reason: 'Draining', message: drainMessage(plan) }]);
      const next = plan.nextChangeAt === undefined ? DRAIN_RECHECK_MS : Math.min(DRAIN_RECHECK_MS, plan.nextChangeAt - now);
      return { requeueAfterMs: Math.max(0, next) };
    }
    await this.#setClaimConditions(claim, [{ type: ConditionTypes.Drained, status: 'True' }]);
    if (claim) {
      try {
        await this.#ctx.cloud.delete(claim);
      } catch (e) {
        if (!isNodeClaimNotFound(e)) {
          this.#log.warn({ node: key, nodeclaim: claim.metadata.name, error: (e as Error).message }, 'deleting the machine failed, retrying');
          return { requeueAfterMs: INSTANCE_DELETE_RETRY_MS };
        }
        return this.#finish(node, claim, 'drained and its machine is gone');
      }
      await this.#setClaimConditions(claim, [{ type: ConditionTypes.InstanceTerminating, status: 'True' }]);
      return { requeueAfterMs: INSTANCE_DELETE_RETRY_MS };
    }
    return this.#finish(node, claim, 'drained (no NodeClaim: its machine, if any, is left to garbage collection)');
  }

  /**
   * The claim named by the Node's owner reference when the cache has not joined them (it lags, or
   * the claim has lost its providerID): a Node must not lose its claim's drain deadline and
   * machine deletion to a stale cache.
   */
  async #ownerClaim(node: Node): Promise<NodeClaim | undefined> {
    const owner = node.metadata.ownerReferences?.find((o) => o.kind === 'NodeClaim');
    if (!owner) return undefined;
    const claim = await getIfExists(this.#ctx.kube, 'NodeClaim', owner.name);
    return claim?.metadata.uid === owner.uid ? claim : undefined;
  }

  async #instanceGone(providerID: string): Promise<boolean> {
    try {
      await this.#ctx.cloud.get(providerID);
      return false;
    } catch (e) {
      return isNodeClaimNotFound(e);
    }
  }

  async #act(plan: DrainPlan, nodeName: string): Promise<void> {
    for (const d of plan.delete) {
      const { name, namespace, uid } = d.pod.metadata;
      try {
        await this.#ctx.kube.delete('Pod', name ?? '', namespace, { gracePeriodSeconds: d.gracePeriodSeconds, ...(uid ? { preconditions: { uid } } : {}) });
        this.#log.info({ node: nodeName, pod: `${namespace ?? 'default'}/${name ?? ''}`, gracePeriodSeconds: d.gracePeriodSeconds }, 'deleted pod at the termination deadline');
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    for (const p of plan.evict) this.#evictions.add(p, nodeName);
  }

  async #setClaimConditions(claim: NodeClaim | undefined, updates: Parameters<typeof patchClaimStatus>[3]): Promise<void> {
    if (!claim) return;
    const fresh = await getIfExists(this.#ctx.kube, 'NodeClaim', claim.metadata.name ?? '');
    if (fresh) await patchClaimStatus(this.#ctx.kube, fresh, this.#ctx.clock.now(), updates);
  }

  async #finish(node: Node, claim: NodeClaim | undefined, why: string): Promise<void> {
    if (claim) await this.#setClaimConditions(claim, [{ type: ConditionTypes.InstanceTerminating, status: 'True' }]);
    const fresh = await getIfExists(this.#ctx.kube, 'Node', node.metadata.name ?? '');
    if (fresh) await removeFinalizer(this.#ctx.kube, 'Node', fresh, TERMINATION_FINALIZER);
    this.#log.info({ node: node.metadata.name, nodeclaim: claim?.metadata.name }, `terminated node: ${why}`);
  }
}

function drainMessage(plan: DrainPlan): string {
  const parts = [`${plan.waiting.length} pod(s) left to drain`];
  if (plan.tier !== undefined) parts.push(`evicting tier ${plan.tier + 1} of 4`);
  if (plan.heldByDoNotDisrupt.length > 0) parts.push(`${plan.heldByDoNotDisrupt.length} held by karpenter.sh/do-not-disrupt until the termination deadline`);
  return parts.join('; ');
}
