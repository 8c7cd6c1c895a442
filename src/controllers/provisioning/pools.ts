/**
 * The NodePools a provisioning round may launch from: valid, not being deleted, with the instance
 * types the cloud offers each (offerings that recently ran out of capacity shown unavailable).
 * The others are set aside with the reason, for the round's decision; the NodePool controller
 * reports invalid ones on the NodePool itself.
 */
import type { NodePool } from '../../apis/v1/types.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { formatProblems, validateNodePool } from '../../apis/v1/validation.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import type { UnavailableOfferings } from '../../cloudprovider/unavailable-offerings.js';
import type { SolverNodePool } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';

export interface SkippedPool {
  readonly name: string;
  readonly reason: string;
}

export interface LoadedPools {
  readonly pools: SolverNodePool[];
  readonly skipped: SkippedPool[];
}

/** A NodePool object's problems as text (empty when valid) and, when valid, its defaulted copy. */
interface Checked {
  readonly problems: string;
  readonly defaulted: DefaultedNodePool | undefined;
}

/**
 * Checked per NodePool object: the cluster state never changes one in place (a changed NodePool
 * is a new object), so its problems and defaults stay what they were; validating and cloning
 * every pool each round was most of loading them.
 */
const checkedPools = new WeakMap<NodePool, Checked>();

function check(np: NodePool): Checked {
  let c = checkedPools.get(np);
  if (c === undefined) {
    const problems = validateNodePool(np);
    c = problems.length > 0
      ? { problems: formatProblems(problems).replaceAll('\n', '; '), defaulted: undefined }
      : { problems: '', defaulted: withDefaults(np) };
    checkedPools.set(np, c);
  }
  return c;
}

/**
 * Loads the pools. The defaulted NodePools it returns may be shared with other calls: treat them
 * as read-only. Never throws: a pool whose instance types cannot be listed is skipped with the
 * error as its reason.
 */
export async function loadPools(
  nodePools: readonly NodePool[],
  usage: ReadonlyMap<string, ResourceList>,
  cloud: CloudProvider,
  unavailable: UnavailableOfferings,
): Promise<LoadedPools> {
  const skipped: SkippedPool[] = [];
  const valid: NodePool[] = [];
  for (const np of nodePools) {
    const name = np.metadata.name ?? '';
    if (np.metadata.deletionTimestamp) {
      skipped.push({ name, reason: 'being deleted' });
      continue;
    }
    const { problems, defaulted } = check(np);
    if (defaulted === undefined) {
      skipped.push({ name, reason: `invalid: ${problems}` });
      continue;
    }
    valid.push(defaulted);
  }
  const loaded = await Promise.all(valid.map(async (np) => {
    try {
      return { np, types: unavailable.apply(await cloud.getInstanceTypes(np)) };
    } catch (e) {
      return { np, error: e instanceof Error ? e.message : String(e) };
    }
  }));
  const pools: SolverNodePool[] = [];
  for (const l of loaded) {
    const name = l.np.metadata.name ?? '';
    if (l.types === undefined) {
      skipped.push({ name, reason: `listing its instance types failed: ${l.error ?? 'unknown error'}` });
      continue;
    }
    if (l.types.length === 0) {
      skipped.push({ name, reason: 'the cloud offers it no instance types' });
      continue;
    }
    pools.push({ nodePool: l.np, instanceTypes: l.types, usage: usage.get(name) ?? {} });
  }
  return { pools, skipped };
}
