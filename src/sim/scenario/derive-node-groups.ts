/**
 * The Cluster Autoscaler node groups a scenario gets when it declares none: what a team running
 * the Cluster Autoscaler would plausibly have set up for the same NodePools, so the comparison is
 * like for like rather than tuned for either side.
 *
 * Per NodePool and per capacity type it can launch (on-demand, then spot; reserved is left out),
 * one group of a single instance type:
 * - only types the NodePool can launch with that capacity type (its requirements and zones);
 * - of those, the ones whose allocatable cpu and memory hold the largest pod of the workload plus
 *   every daemonset (all of them when none do), preferring 4–16 vCPU types, the usual ASG sizes;
 * - the cheapest per allocatable vCPU among them (ties: by name);
 * - zones: every zone the NodePool allows where that type has such an offering;
 * - min 0; max: the NodePool's nodes limit, else its cpu limit over the type's vCPUs, else 1000;
 * - labels: the NodePool template's labels and its single-valued In requirements on plain
 *   (not well-known) keys; taints: the template's taints.
 */
import { isWellKnownLabel } from '../../apis/labels.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import type { CapacityType, InstanceType } from '../../cloudprovider/types.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { QuantityError, resourceAmount } from '../../utils/quantity.js';
import { CPU, MEMORY, addResources, maxResources, subtractResources } from '../../utils/resources.js';
import type { ResourceList } from '../../utils/resources.js';
import { poolOptions } from './instance-types.js';
import type { PoolOption } from './instance-types.js';
import type { NodeGroupSpec, WorkloadSpec } from './types.js';

export const DERIVED_MAX_SIZE = 1000;
const DERIVED_CAPACITY_TYPES: readonly CapacityType[] = ['on-demand', 'spot'];
const PREFERRED_MIN_CPU = 4000;
const PREFERRED_MAX_CPU = 16000;

/** The name of the group derived from a NodePool for a capacity type. */
export function derivedGroupName(nodePool: string, capacityType: string): string {
  return `${nodePool}-${capacityType}`;
}

/** Node groups for the NodePools, as described in this module's comment. Never throws for valid pools. */
export function deriveNodeGroups(
  cluster: { readonly nodePools: readonly DefaultedNodePool[]; readonly instanceTypes: readonly InstanceType[] },
  workload: WorkloadSpec,
): NodeGroupSpec[] {
  const needed = neededAllocatable(workload);
  const groups: NodeGroupSpec[] = [];
  for (const pool of cluster.nodePools) {
    const options = poolOptions(pool, cluster.instanceTypes);
    for (const capacityType of DERIVED_CAPACITY_TYPES) {
      const candidates = options
        .map((o) => ({ ...o, offerings: o.offerings.filter((x) => x.capacityType === capacityType) }))
        .filter((o) => o.offerings.length > 0);
      const chosen = choose(candidates, needed);
      if (chosen === undefined) continue;
      const type = chosen.instanceType;
      groups.push({
        name: derivedGroupName(pool.metadata.name ?? '', capacityType),
        instanceTypes: [type.name],
        minSize: 0,
        maxSize: maxSizeFor(pool, type),
        zones: [...new Set(chosen.offerings.map((o) => o.zone))],
        capacityType,
        labels: poolLabels(pool),
        taints: (pool.spec.template.spec.taints ?? []).map((t) => ({ ...t })),
      });
    }
  }
  return groups;
}

/** The largest pod's requests plus every daemonset's: what one node must hold. */
function neededAllocatable(workload: WorkloadSpec): ResourceList {
  const requestsOf = (spec: WorkloadSpec['deployments'][number]['template']['spec']): ResourceList => podRequests({ metadata: {}, spec });
  const largest = maxResources(...[...workload.deployments, ...workload.statefulSets, ...workload.jobs].map((w) => requestsOf(w.template.spec)));
  return addResources(largest, ...workload.daemonSets.map((d) => requestsOf(d.template.spec)));
}

function choose(candidates: PoolOption[], needed: ResourceList): PoolOption | undefined {
  const allocatable = (o: PoolOption): ResourceList => subtractResources(o.instanceType.capacity, o.instanceType.overhead);
  const holds = candidates.filter((o) => [CPU, MEMORY].every((r) => (allocatable(o)[r] ?? 0) >= (needed[r] ?? 0)));
  const pool = holds.length > 0 ? holds : candidates;
  const usual = pool.filter((o) => {
    const cpu = o.instanceType.capacity[CPU] ?? 0;
    return cpu >= PREFERRED_MIN_CPU && cpu <= PREFERRED_MAX_CPU;
  });
  const perCpu = (o: PoolOption): number => (o.offerings[0]?.price ?? Infinity) / Math.max(1, allocatable(o)[CPU] ?? 0);
  return [...(usual.length > 0 ? usual : pool)].sort((a, b) => perCpu(a) - perCpu(b) || a.instanceType.name.localeCompare(b.instanceType.name))[0];
}

function maxSizeFor(pool: DefaultedNodePool, type: InstanceType): number {
  const limits = pool.spec.limits ?? {};
  const bound = (n: number): number => Math.max(1, Math.min(DERIVED_MAX_SIZE, Math.floor(n)));
  if (limits.nodes !== undefined) return bound(amount('nodes', limits.nodes));
  if (limits.cpu !== undefined) return bound(amount(CPU, limits.cpu) / Math.max(1, type.capacity[CPU] ?? 1));
  return DERIVED_MAX_SIZE;
}

/** A limit's amount; limits too large for a number (validation accepts them) are no limit. */
function amount(resource: string, quantity: string | number): number {
  try {
    return resourceAmount(resource, quantity);
  } catch (err) {
    if (!(err instanceof QuantityError)) throw err;
    return Infinity;
  }
}

function poolLabels(pool: DefaultedNodePool): Record<string, string> {
  const labels: Record<string, string> = { ...(pool.spec.template.metadata?.labels ?? {}) };
  for (const req of pool.spec.template.spec.requirements) {
    if (req.operator === 'In' && req.values?.length === 1 && !isWellKnownLabel(req.key)) labels[req.key] = req.values[0] ?? '';
  }
  return labels;
}
