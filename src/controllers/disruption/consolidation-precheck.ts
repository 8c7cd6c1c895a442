/**
 * A cheap test that rules out consolidating a set of candidates without running the solver, used
 * before every consolidation simulation. It only answers "impossible" when the simulation would
 * surely find neither a delete nor a cheaper single replacement, so skipping is exact:
 *  - delete is impossible when some pod to move asks for more cpu, memory or pod slots than any
 *    initialised node accepting pods has free (the simulation does not let a candidate's pods
 *    count on a machine still in flight);
 *  - replace is then impossible when no instance type, in any pool whose requirements and taints
 *    such a pod's nodeSelector and tolerations allow, holds all those pods and has an available
 *    offering cheaper than the candidates (spot offerings left out when the candidates are spot and
 *    spot-to-spot consolidation is off).
 * On a full cluster of nodes already of the cheapest fitting type, this turns thousands of
 * single-node simulations into a few microseconds each.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, CAPACITY_TYPE_SPOT, normalizeLabelKey, ZONE_LABEL } from '../../apis/labels.js';
import { allocatableOf } from '../../cloudprovider/launch.js';
import { allowUndefinedWellKnown, poolRequirements } from '../../scheduling/node-pool-template.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { Requirement, Requirements } from '../../scheduling/requirements.js';
import { firstUntoleratedTaint } from '../../scheduling/taints.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { ResourceList } from '../../utils/resources.js';
import { addResources, CPU, fitsIn, MEMORY, PODS } from '../../utils/resources.js';
import type { ConsolidationSettings } from './consolidation.js';
import { usd } from './format.js';
import type { SimulationBase } from './simulation-base.js';
import type { Candidate, PoolInfo } from './types.js';

function requestsOf(pod: Pod): ResourceList {
  try {
    return podRequests(pod);
  } catch {
    return { [PODS]: 1 };
  }
}

interface PoolView {
  readonly reqs: Requirements;
  /** The pool's types its requirements allow (the solver drops the others), with allocatable. */
  readonly types: readonly { readonly type: InstanceType; readonly allocatable: ResourceList }[];
}

const views = new WeakMap<PoolInfo, PoolView | null>();

/** The pool's requirements and allowed types, computed once per PoolInfo; null when its requirements do not parse. */
function poolView(pool: PoolInfo): PoolView | null {
  let v = views.get(pool);
  if (v !== undefined) return v;
  try {
    const reqs = poolRequirements({ nodePool: pool.nodePool, instanceTypes: [] });
    const types = pool.instanceTypes
      .filter((t) => reqs.intersects(new Requirements(Object.entries(t.requirements).map(([k, values]) => Requirement.in(k, values)))) === undefined)
      .map((type) => ({ type, allocatable: allocatableOf(type) }));
    v = { reqs, types };
  } catch {
    v = null;
  }
  views.set(pool, v);
  return v;
}

/** Whether the pool could take the pod as far as its nodeSelector and tolerations say (affinity is not looked at). */
function mayHost(pool: PoolInfo, reqs: Requirements, pod: Pod): boolean {
  const spec = pool.nodePool.spec.template.spec;
  if (firstUntoleratedTaint(pod.spec.tolerations, spec.taints) !== undefined) return false;
  const selector: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) selector[normalizeLabelKey(k)] = v;
  return reqs.compatible(Requirements.fromLabels(selector), allowUndefinedWellKnown) === undefined;
}

/**
 * Why consolidating these candidates is impossible, or undefined when only a simulation can tell.
 * Never throws.
 */
export function consolidationImpossible(base: SimulationBase, candidates: readonly Candidate[], price: number, settings: ConsolidationSettings): string | undefined {
  const exclude = new Set<string>();
  for (const c of candidates) {
    exclude.add(c.nodeName);
    exclude.add(c.claimName);
  }
  const free = base.maxFree(exclude);
  const homeless: Pod[] = [];
  for (const c of candidates) {
    for (const p of c.reschedulablePods) {
      const r = requestsOf(p);
      if ((r[CPU] ?? 0) > free.cpu || (r[MEMORY] ?? 0) > free.memory || (r[PODS] ?? 0) > free.pods) homeless.push(p);
    }
  }
  if (homeless.length === 0) return undefined;
  const need = addResources(...homeless.map(requestsOf));
  const noSpot = settings.spotToSpot === false && candidates.every((c) => c.capacityType === CAPACITY_TYPE_SPOT);
  let cheapest = Infinity;
  for (const pool of base.pools.values()) {
    const view = poolView(pool);
    if (view === null) return undefined; // the solver would name the problem; do not guess
    const reqs = view.reqs;
    if (!homeless.every((p) => mayHost(pool, reqs, p))) continue;
    const ct = reqs.get(CAPACITY_TYPE_LABEL);
    const zone = reqs.get(ZONE_LABEL);
    for (const { type: t, allocatable } of view.types) {
      let best = Infinity;
      for (const o of t.offerings) {
        if (o.available && (!noSpot || o.capacityType !== CAPACITY_TYPE_SPOT) && (ct === undefined || ct.has(o.capacityType)) && (zone === undefined || zone.has(o.zone))) {
          best = Math.min(best, o.price);
        }
      }
      if (best === Infinity || !fitsIn(need, allocatable)) continue;
      if (best < price) return undefined;
      cheapest = Math.min(cheapest, best);
    }
  }
  const first = homeless[0]!;
  const pods = `pod ${keyOf(first)}${homeless.length > 1 ? ` (and ${homeless.length - 1} more)` : ''}`;
  return cheapest === Infinity
    ? `${pods} fits on no other node, and no instance type holds the pods that would need a new node`
    : `${pods} fits on no other node, and the cheapest instance type that holds them costs ${usd(cheapest)}, not less than ${usd(price)}`;
}
