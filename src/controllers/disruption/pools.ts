/**
 * The NodePools a disruption pass works with: valid ones, defaulted, each with the instance types
 * the cloud offers it now (unavailable offerings marked), loaded once per pass.
 */
import { specKey } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { formatProblems, validateNodePool } from '../../apis/v1/validation.js';
import type { InstanceType, Offering } from '../../cloudprovider/types.js';
import type { ControllerContext } from '../context.js';
import type { PoolInfo } from './types.js';

/**
 * The last PoolInfo built per NodePool name with the validation verdict: passes reuse it while the
 * pool's metadata and spec are the same (its status, which the NodePool controller updates all the
 * time, is not read here) and the cloud lists the very same instance type objects, so per-pool work
 * keyed on the PoolInfo (the precheck's views, consolidation's verdicts) carries over.
 */
const built = new Map<string, { json: string; problems: string | undefined; info?: PoolInfo }>();

function sameTypes(a: readonly InstanceType[], b: readonly InstanceType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Loads every valid NodePool with its instance types. A pool that fails validation, or whose
 * instance types cannot be listed, is left out and logged (its nodes then are not candidates).
 * Never throws.
 */
export async function loadPools(ctx: Pick<ControllerContext, 'state' | 'cloud' | 'unavailableOfferings' | 'log'>): Promise<Map<string, PoolInfo>> {
  const out = new Map<string, PoolInfo>();
  for (const np of ctx.state.nodePools()) {
    const name = np.metadata.name ?? '';
    const json = specKey(np);
    let entry = built.get(name);
    if (entry?.json !== json) {
      const problems = validateNodePool(np);
      built.set(name, (entry = { json, problems: problems.length > 0 ? formatProblems(problems) : undefined }));
    }
    if (entry.problems !== undefined) {
      ctx.log.debug({ nodepool: name }, `disruption: skipping invalid nodepool: ${entry.problems}`);
      continue;
    }
    try {
      const types = await ctx.cloud.getInstanceTypes(np);
      const instanceTypes = ctx.unavailableOfferings.apply(types);
      if (!entry.info || !sameTypes(entry.info.instanceTypes, instanceTypes)) {
        entry.info = { name, nodePool: withDefaults(np), instanceTypes, typesByName: new Map(instanceTypes.map((t) => [t.name, t])) };
      }
      out.set(name, entry.info);
    } catch (e) {
      ctx.log.warn({ nodepool: name, error: String(e) }, 'disruption: listing instance types failed; its nodes are not disrupted this pass');
    }
  }
  return out;
}

/** The offering a machine runs on (availability ignored: it is already running), if the catalogue has it. */
export function findOffering(pool: PoolInfo, instanceType: string | undefined, zone: string | undefined, capacityType: string | undefined): Offering | undefined {
  if (instanceType === undefined) return undefined;
  const type = pool.typesByName.get(instanceType);
  if (!type) return undefined;
  const exact = type.offerings.find((o) => o.zone === zone && o.capacityType === capacityType);
  if (exact) return exact;
  // Without a zone label, any offering of the capacity type prices it (Karpenter's fallback).
  return zone === undefined ? type.offerings.filter((o) => o.capacityType === capacityType).sort((a, b) => a.price - b.price)[0] : undefined;
}
