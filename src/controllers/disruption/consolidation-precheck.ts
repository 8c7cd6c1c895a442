/**
 * A cheap test that rules out consolidating a set of candidates without running the solver, used
 * before every consolidation simulation. It only answers "impossible" when the simulation would
 * surely find neither a delete nor a cheaper replacement, so skipping is exact:
 *  - delete is impossible when some pod to move asks for more cpu, memory or pod slots than any
 *    initialised node accepting pods has free (the simulation does not let a candidate's pods
 *    count on a machine still in flight);
 *  - replace is then impossible when the new nodes those pods need would cost at least as much as
 *    the candidates: with one replacement, no instance type (in a pool whose requirements and
 *    taints such a pod's nodeSelector and tolerations allow) holds all of them more cheaply; with
 *    several, a lower bound (the cheapest type for the most demanding pod, and the cpu and memory
 *    at the lowest price per unit) is not below the share of its price a split may take. Spot
 *    offerings are left out when the candidates are spot and spot-to-spot consolidation is off.
 * On a full cluster of nodes already of the cheapest fitting type, this turns thousands of
 * single-node simulations into a few microseconds each.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, CAPACITY_TYPE_SPOT, normalizeLabelKey, ZONE_LABEL } from '../../apis/labels.js';
import { allocatableOf } from '../../cloudprovider/launch.js';
import { allowUndefinedWellKnown, poolRequirements } from '../../scheduling/node-pool-template.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import { Requirement, Requirements } from '../../scheduling/requirements.js';
import { firstUntoleratedTaint } from '../../scheduling/taints.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { ResourceList } from '../../utils/resources.js';
import { addResources, CPU, fitsIn, MEMORY, PODS } from '../../utils/resources.js';
import type { ConsolidationSettings } from './consolidation.js';
import { usd } from './format.js';
import { MULTI_REPLACEMENT_PRICE_RATIO } from './replacement-options.js';
import type { SimulationBase } from './simulation-base.js';
import type { Candidate, PoolInfo } from './types.js';

interface PoolView {
  readonly reqs: Requirements;
  /** The pool's types its requirements allow (the solver drops the others), with allocatable. */
  readonly types: readonly { readonly type: InstanceType; readonly allocatable: ResourceList }[];
  /** Per pod: whether mayHost (worked out on first use; pods are never edited in place). */
  readonly hosts: WeakMap<Pod, boolean>;
  /** Its types with an offering it may launch, at their cheapest such offering, spot allowed or not (made on first use). */
  readonly priced: Map<boolean, readonly PricedType[]>;
}

/** A type a pool may launch, with its allocatable and its cheapest offering's price. */
interface PricedType {
  readonly allocatable: ResourceList;
  readonly price: number;
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
    v = { reqs, types, hosts: new WeakMap(), priced: new Map() };
  } catch {
    v = null;
  }
  views.set(pool, v);
  return v;
}

/** mayHost, kept per pod in the pool's view. */
function viewHosts(pool: PoolInfo, view: PoolView, pod: Pod): boolean {
  let hosts = view.hosts.get(pod);
  if (hosts === undefined) view.hosts.set(pod, (hosts = mayHost(pool, view.reqs, pod)));
  return hosts;
}

/**
 * The view's types with an offering the pool may launch (available, of a capacity type and zone
 * its requirements allow, not spot when `noSpot`), each at its cheapest such offering.
 */
function pricedTypes(view: PoolView, noSpot: boolean): readonly PricedType[] {
  let priced = view.priced.get(noSpot);
  if (priced !== undefined) return priced;
  const ct = view.reqs.get(CAPACITY_TYPE_LABEL);
  const zone = view.reqs.get(ZONE_LABEL);
  const out: PricedType[] = [];
  for (const { type: t, allocatable } of view.types) {
    let best = Infinity;
    for (const o of t.offerings) {
      if (o.available && (!noSpot || o.capacityType !== CAPACITY_TYPE_SPOT) && (ct === undefined || ct.has(o.capacityType)) && (zone === undefined || zone.has(o.zone))) {
        best = Math.min(best, o.price);
      }
    }
    if (best !== Infinity) out.push({ allocatable, price: best });
  }
  view.priced.set(noSpot, (priced = out));
  return priced;
}

/** Whether the pool could take the pod as far as its nodeSelector and tolerations say (affinity is not looked at). */
function mayHost(pool: PoolInfo, reqs: Requirements, pod: Pod): boolean {
  const spec = pool.nodePool.spec.template.spec;
  if (firstUntoleratedTaint(pod.spec.tolerations, spec.taints) !== undefined) return false;
  const selector: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) selector[normalizeLabelKey(k)] = v;
  return reqs.compatible(Requirements.fromLabels(selector), allowUndefinedWellKnown) === undefined;
}

/** A pod list's requests (safePodRequests of each pod, in order) and the most cpu, memory and pod slots one of them asks for. */
interface ListRequests {
  readonly requests: readonly ResourceList[];
  /** The largest ask (a missing request counting 0, NaN ignored; -Infinity for no pods). */
  readonly cpu: number;
  readonly memory: number;
  readonly slots: number;
}

/**
 * Per pod list (a candidate's pods are the same list while its pods are, and pods are never edited
 * in place): its requests, so a call reads one entry per candidate rather than one per pod.
 */
const requestsByList = new WeakMap<readonly Pod[], ListRequests>();

function listRequests(pods: readonly Pod[]): ListRequests {
  let l = requestsByList.get(pods);
  if (l !== undefined) return l;
  const requests = pods.map(safePodRequests);
  let cpu = -Infinity;
  let memory = -Infinity;
  let slots = -Infinity;
  for (const r of requests) {
    // A NaN ask is above no room, so leaving it out of the largest loses nothing.
    if ((r[CPU] ?? 0) > cpu) cpu = r[CPU] ?? 0;
    if ((r[MEMORY] ?? 0) > memory) memory = r[MEMORY] ?? 0;
    if ((r[PODS] ?? 0) > slots) slots = r[PODS] ?? 0;
  }
  requestsByList.set(pods, (l = { requests, cpu, memory, slots }));
  return l;
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
  const homelessRequests: ResourceList[] = [];
  for (const c of candidates) {
    const pods = c.reschedulablePods;
    const list = listRequests(pods);
    // No pod of the list asks for more than its largest ask: most lists end here.
    if (!(list.cpu > free.cpu || list.memory > free.memory || list.slots > free.pods)) continue;
    for (let i = 0; i < pods.length; i++) {
      const r = list.requests[i]!;
      if ((r[CPU] ?? 0) > free.cpu || (r[MEMORY] ?? 0) > free.memory || (r[PODS] ?? 0) > free.pods) {
        homeless.push(pods[i]!);
        homelessRequests.push(r);
      }
    }
  }
  if (homeless.length === 0) return undefined;
  const noSpot = settings.spotToSpot === false && candidates.every((c) => c.capacityType === CAPACITY_TYPE_SPOT);
  const offers: Offer[] = [];
  for (const pool of base.pools.values()) {
    const view = poolView(pool);
    if (view === null) return undefined; // the solver would name the problem; do not guess
    const hosts = homeless.map((p) => viewHosts(pool, view, p));
    if (!hosts.some(Boolean)) continue;
    for (const { allocatable, price: best } of pricedTypes(view, noSpot)) offers.push({ allocatable, price: best, hosts });
  }
  const need = addResources(...homelessRequests);
  const one = oneNodeBound(need, offers);
  if (one < price) return undefined;
  // Several new nodes for one candidate must together cost under the share of its price a split may take.
  const several = candidates.length === 1 && (settings.maxReplacements ?? 1) > 1 ? severalNodesBound(homelessRequests, need, offers) : Infinity;
  if (several < price * MULTI_REPLACEMENT_PRICE_RATIO) return undefined;
  const first = homeless[0]!;
  const pods = `pod ${keyOf(first)}${homeless.length > 1 ? ` (and ${homeless.length - 1} more)` : ''}`;
  const single = one === Infinity
    ? `${pods} fits on no other node, and no instance type holds the pods that would need a new node`
    : `${pods} fits on no other node, and the cheapest instance type that holds them costs ${usd(one)}, not less than ${usd(price)}`;
  return several === Infinity || homeless.length === 1 ? single : `${single}; several new nodes would cost at least ${usd(several)}, not under half of ${usd(price)}`;
}

/** An instance type some pool may launch for (some of) the homeless pods, at its cheapest allowed offering. */
interface Offer {
  readonly allocatable: ResourceList;
  readonly price: number;
  /** Per homeless pod: whether the pool allows it. */
  readonly hosts: readonly boolean[];
}

/** The cheapest single instance type holding every homeless pod, which together ask for `need` (Infinity: none). */
function oneNodeBound(need: ResourceList, offers: readonly Offer[]): number {
  let cheapest = Infinity;
  for (const o of offers) if (o.hosts.every(Boolean) && o.price < cheapest && fitsIn(need, o.allocatable)) cheapest = o.price;
  return cheapest;
}

/**
 * A lower bound on any set of new nodes holding every homeless pod (given by their requests): at
 * least the cheapest type holding the most demanding one, and at least the cpu and memory asked for
 * at the lowest price per unit on offer (Infinity when some pod fits no type).
 */
function severalNodesBound(homeless: readonly ResourceList[], need: ResourceList, offers: readonly Offer[]): number {
  let single = 0;
  homeless.forEach((r, i) => {
    let best = Infinity;
    for (const o of offers) if (o.hosts[i] && o.price < best && fitsIn(r, o.allocatable)) best = o.price;
    single = Math.max(single, best);
  });
  let rate = 0;
  for (const key of [CPU, MEMORY]) {
    const amount = need[key] ?? 0;
    if (amount <= 0) continue;
    let perUnit = Infinity;
    for (const o of offers) {
      const have = o.allocatable[key] ?? 0;
      if (have > 0) perUnit = Math.min(perUnit, o.price / have);
    }
    rate = Math.max(rate, amount * perUnit);
  }
  return Math.max(single, rate);
}
