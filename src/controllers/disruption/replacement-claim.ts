/**
 * Replacement NodeClaims: built the way provisioning builds a NodeClaim from a planned one (the
 * NodePool's template labels, annotations, taints, startup taints, node class, expireAfter and
 * terminationGracePeriod; the plan's requirements and requests; the drift hash; owned by the
 * NodePool), created, and nominated so nothing disrupts them before the moved pods land.
 */
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import { nodePoolHashAnnotations } from '../../apis/v1/hash.js';
import { API_VERSION } from '../../apis/v1/types.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { NODEPOOL_LABEL } from '../../apis/labels.js';
import { isNotFound } from '../../kube/errors.js';
import { resourcesToQuantities } from '../../utils/resources.js';
import type { ControllerContext } from '../context.js';
import { DisruptionError } from './errors.js';
import type { Replacement } from './types.js';

/** The NodeClaim to create for a replacement (metadata.generateName "<pool>-"). */
export function replacementNodeClaim(r: Replacement, pool: DefaultedNodePool): NodeClaim {
  const poolName = pool.metadata.name ?? r.nodePool;
  const tmpl = pool.spec.template;
  const spec = tmpl.spec;
  return {
    apiVersion: API_VERSION,
    kind: 'NodeClaim',
    metadata: {
      generateName: `${poolName}-`,
      labels: { ...(tmpl.metadata?.labels ?? {}), [NODEPOOL_LABEL]: poolName },
      annotations: { ...(tmpl.metadata?.annotations ?? {}), ...nodePoolHashAnnotations(pool) },
      ownerReferences: pool.metadata.uid
        ? [{ apiVersion: API_VERSION, kind: 'NodePool', name: poolName, uid: pool.metadata.uid, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: {
      requirements: r.requirements.map((q) => ({ ...q, values: q.values ? [...q.values] : undefined })),
      resources: { requests: resourcesToQuantities(r.requests) },
      taints: spec.taints,
      startupTaints: spec.startupTaints,
      nodeClassRef: spec.nodeClassRef,
      expireAfter: spec.expireAfter,
      terminationGracePeriod: spec.terminationGracePeriod,
    },
  };
}

/**
 * Creates the replacements' NodeClaims and nominates each until `nominateUntil` (epoch ms).
 * All or nothing: if one create fails, those already made are deleted again.
 * @returns the created claims' names, in order.
 * @throws DisruptionError (cause: the API error) when a create fails or a pool is unknown.
 */
export async function createReplacements(
  ctx: Pick<ControllerContext, 'kube' | 'state'>,
  replacements: readonly Replacement[],
  pools: ReadonlyMap<string, { readonly nodePool: DefaultedNodePool }>,
  nominateUntil: number,
): Promise<string[]> {
  const created: string[] = [];
  try {
    for (const r of replacements) {
      const pool = pools.get(r.nodePool);
      if (!pool) throw new DisruptionError(`nodepool ${r.nodePool} is gone`);
      const claim = await ctx.kube.create('NodeClaim', replacementNodeClaim(r, pool.nodePool));
      const name = claim.metadata.name!;
      created.push(name);
      ctx.state.nominate(name, nominateUntil);
    }
    return created;
  } catch (e) {
    await deleteClaims(ctx, created).catch(() => undefined); // best effort; the launch error is the one to report
    throw new DisruptionError(`launching ${replacements.length} replacement nodeclaim(s): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Deletes NodeClaims by name, ignoring ones already gone.
 * @throws DisruptionError (cause: the first API error) after trying all.
 */
export async function deleteClaims(ctx: Pick<ControllerContext, 'kube'>, names: readonly string[]): Promise<void> {
  const failed: string[] = [];
  let first: unknown;
  for (const name of names) {
    try {
      await ctx.kube.delete('NodeClaim', name);
    } catch (e) {
      if (isNotFound(e)) continue;
      failed.push(name);
      first ??= e;
    }
  }
  if (failed.length > 0) {
    throw new DisruptionError(`deleting nodeclaims ${failed.join(', ')}: ${first instanceof Error ? first.message : String(first)}`, { cause: first });
  }
}
