/**
 * Replacement NodeClaims: built by provisioning's own template (the NodePool's template labels,
 * annotations, taints, startup taints, node class, expireAfter and terminationGracePeriod; the
 * plan's requirements and requests; the drift hash; owned by the NodePool), created, and nominated
 * so nothing disrupts them before the moved pods land.
 */
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import type { ControllerContext } from '../context.js';
import { buildNodeClaim } from '../provisioning/nodeclaim-template.js';
import { DisruptionError } from './errors.js';
import type { Replacement } from './types.js';

/** The NodeClaim to create for a replacement: exactly what provisioning creates for a planned claim. */
export function replacementNodeClaim(r: Replacement, pool: NodePool): NodeClaim {
  return buildNodeClaim(pool, {
    hostname: 'replacement', nodePool: r.nodePool, requirements: r.requirements, instanceTypeOptions: r.instanceTypeOptions,
    pods: r.pods, requests: r.requests, daemonSetOverhead: {}, pricePerHour: r.pricePerHour,
  });
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
  pools: ReadonlyMap<string, { readonly nodePool: NodePool }>,
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
