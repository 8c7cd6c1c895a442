/**
 * A NodePool compiled for one solve: its requirements (template requirements and labels, plus the
 * nodepool label), taints, the instance types it may launch (filtered by its requirements and
 * available offerings) as vectors, the daemonset overhead every new node of it carries, and what
 * remains of its limits.
 */
import type { DaemonSet, Taint } from '../apis/core.js';
import { CAPACITY_TYPE_LABEL, isWellKnownLabel, NODEPOOL_LABEL, normalizeLabelKey, ZONE_LABEL } from '../apis/labels.js';
import type { InstanceType, Offering } from '../cloudprovider/types.js';
import { compareQuantities, parseQuantity, QuantityError, resourceAmount } from '../utils/quantity.js';
import { subtractResources, type ResourceList } from '../utils/resources.js';
import { podRequests } from './pod-requests.js';
import { Requirement, Requirements } from './requirements.js';
import { addInto, type ResourceSpace, type Vec } from './resource-space.js';
import { firstUntoleratedTaint } from './taints.js';
import type { SolverNodePool } from './types.js';

export interface CompiledInstanceType {
  /** Position in its pool's instanceTypes. */
  readonly index: number;
  readonly instanceType: InstanceType;
  /** The type's labels plus zone and capacity type from its available offerings. */
  readonly requirements: Requirements;
  readonly allocatable: Vec;
  readonly capacity: Vec;
  /** Available offerings, cheapest first. */
  readonly offerings: readonly Offering[];
}

export interface NodePoolTemplate {
  readonly name: string;
  readonly weight: number;
  readonly requirements: Requirements;
  readonly taints: readonly Taint[];
  readonly labels: Readonly<Record<string, string>>;
  readonly instanceTypes: readonly CompiledInstanceType[];
  readonly daemonOverhead: Vec;
  readonly daemonOverheadList: ResourceList;
  /** limits − usage for each limited resource ("nodes" included); undefined when unlimited. */
  readonly remaining: Vec | undefined;
  readonly remainingNodes: number;
  /** Why the pool launches nothing at all, when it cannot (no instance types left, say). */
  readonly problem: string | undefined;
}

export const allowUndefinedWellKnown = (key: string): boolean => isWellKnownLabel(key);

// Compiled types are immutable and depend only on the type and the resource layout, so they are
// reused across solves (the controllers solve the same catalogue every batch).
const compiledCache = new WeakMap<InstanceType, Map<string, Omit<CompiledInstanceType, 'index'>>>();

function compileType(it: InstanceType, space: ResourceSpace, layout: string, index: number): CompiledInstanceType {
  let byLayout = compiledCache.get(it);
  if (!byLayout) compiledCache.set(it, (byLayout = new Map<string, Omit<CompiledInstanceType, 'index'>>()));
  let c = byLayout.get(layout);
  if (!c) {
    const requirements = new Requirements();
    for (const [k, values] of Object.entries(it.requirements)) requirements.add(Requirement.in(k, values));
    const offerings = it.offerings.filter((o) => o.available).sort((a, b) => a.price - b.price);
    requirements.add(Requirement.in(ZONE_LABEL, new Set(offerings.map((o) => o.zone))));
    requirements.add(Requirement.in(CAPACITY_TYPE_LABEL, new Set(offerings.map((o) => o.capacityType))));
    c = { instanceType: it, requirements, allocatable: space.vector(subtractResources(it.capacity, it.overhead)), capacity: space.vector(it.capacity), offerings };
    byLayout.set(layout, c);
  }
  return { ...c, index };
}

/**
 * A limit's amount. Limits beyond what a number holds exactly (Karpenter's examples use
 * "10000000Gi" of memory, past 2^53 bytes) are no limit at all in practice: Infinity.
 * @throws QuantityError for a quantity that does not parse or is negative.
 */
function limitAmount(resource: string, q: string | number): number {
  const exact = parseQuantity(q);
  if (exact.numerator < 0n) throw new QuantityError(`limits.${resource}: must not be negative, got "${String(q)}"`);
  const huge = compareQuantities(exact, parseQuantity(Number.MAX_SAFE_INTEGER / 1000)) > 0;
  return huge ? Infinity : resourceAmount(resource, q);
}

/** Offerings of a type that the requirements allow (zone and capacity type), cheapest first. */
export function compatibleOfferings(t: CompiledInstanceType, reqs: Requirements): Offering[] {
  const zone = reqs.get(ZONE_LABEL);
  const ct = reqs.get(CAPACITY_TYPE_LABEL);
  return t.offerings.filter((o) => (!zone || zone.has(o.zone)) && (!ct || ct.has(o.capacityType)));
}

export function hasCompatibleOffering(t: CompiledInstanceType, reqs: Requirements): boolean {
  const zone = reqs.get(ZONE_LABEL);
  const ct = reqs.get(CAPACITY_TYPE_LABEL);
  for (const o of t.offerings) if ((!zone || zone.has(o.zone)) && (!ct || ct.has(o.capacityType))) return true;
  return false;
}

// Per catalogue (keyed by its first type, checked type by type: each round gets a fresh array of
// the very same type objects while nothing changed): every resource name its types' capacity and
// overhead use, in first-seen order, so a solve registers a handful of names instead of walking a
// thousand types' resource lists.
const catalogueNames = new WeakMap<InstanceType, { readonly input: readonly InstanceType[]; readonly names: ResourceList }>();

function typeResourceNames(types: readonly InstanceType[]): ResourceList {
  const first = types[0];
  if (first === undefined) return {};
  const hit = catalogueNames.get(first);
  if (hit && sameTypes(hit.input, types)) {
    // The caller's array is kept: its next solves find it by identity.
    if (hit.input !== types) catalogueNames.set(first, { input: types, names: hit.names });
    return hit.names;
  }
  const names: Record<string, number> = {};
  for (const it of types) {
    for (const k in it.capacity) names[k] = 0;
    for (const k in it.overhead) names[k] = 0;
  }
  catalogueNames.set(first, { input: types, names });
  return names;
}

/** Registers every resource name the pools' instance types, limits and usage use. */
export function registerPoolResources(pools: readonly SolverNodePool[], space: ResourceSpace): void {
  for (const p of pools) {
    space.register(typeResourceNames(p.instanceTypes));
    for (const k in p.nodePool.spec.limits) if (k !== 'nodes') space.registerName(k);
    for (const k in p.usage) if (k !== 'nodes') space.registerName(k);
  }
}

/** Requests of the daemonset pods that would run on every node of a pool with these requirements and taints. */
export function daemonSetRequests(daemonSets: readonly DaemonSet[], requirements: Requirements, taints: readonly Taint[]): ResourceList {
  const daemon: Record<string, number> = {};
  for (const ds of daemonSets) {
    const tmpl = ds.spec.template;
    if (firstUntoleratedTaint(tmpl.spec.tolerations, taints) !== undefined) continue;
    const dsReqs = Requirements.fromLabels(tmpl.spec.nodeSelector);
    const term = tmpl.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0];
    let req: ResourceList;
    try {
      for (const e of term?.matchExpressions ?? []) dsReqs.add(Requirement.fromSelector(normalizeLabelKey(e.key), e.operator, e.values));
      req = podRequests({ metadata: {}, spec: tmpl.spec });
    } catch {
      continue; // a daemonset with a broken spec schedules nowhere
    }
    if (requirements.compatible(dsReqs, allowUndefinedWellKnown) !== undefined) continue;
    for (const [k, v] of Object.entries(req)) daemon[k] = (daemon[k] ?? 0) + v;
  }
  return daemon;
}

/** The pool's requirements: template labels, the nodepool label and the template requirements. */
export function poolRequirements(p: SolverNodePool): Requirements {
  const np = p.nodePool;
  const labels: Record<string, string> = { ...(np.spec.template.metadata?.labels ?? {}), [NODEPOOL_LABEL]: np.metadata.name ?? '' };
  const requirements = Requirements.fromLabels(labels);
  for (const r of np.spec.template.spec.requirements) requirements.add(Requirement.fromSelector(normalizeLabelKey(r.key), r.operator, r.values, r.minValues));
  return requirements;
}

// The pool's compatible types, reused while the same requirements, resource layout and the very same
// instance type objects come back: controllers solve the same pools over and over
// (every provisioning round, every consolidation simulation), and filtering a thousand types against
// the pool's requirements each time dominated a day of simulation.
const poolTypesCache = new Map<string, { readonly input: readonly InstanceType[]; readonly types: CompiledInstanceType[] }>();
const POOL_TYPES_CACHE_LIMIT = 64;

function sameTypes(a: readonly InstanceType[], b: readonly InstanceType[]): boolean {
  // Callers mostly hand in the very catalogue array again (a pass's simulations share their pools'):
  // no walk over hundreds of types per pool and solve then.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function poolTypes(p: SolverNodePool, space: ResourceSpace, layout: string, requirements: Requirements, text: string): CompiledInstanceType[] {
  // Only the requirements and the types decide the filtering: the key names both, not the pool
  // (two clusters in one process may well have pools with the same uid and resourceVersion).
  const key = `${text}|${layout}`;
  const hit = poolTypesCache.get(key);
  if (hit && sameTypes(hit.input, p.instanceTypes)) {
    // The caller's array is kept: its next solves find it by identity.
    if (hit.input !== p.instanceTypes) poolTypesCache.set(key, { input: p.instanceTypes, types: hit.types });
    return hit.types;
  }
  const types: CompiledInstanceType[] = [];
  for (const it of p.instanceTypes) {
    const t = compileType(it, space, layout, types.length);
    if (requirements.intersects(t.requirements) !== undefined) continue;
    if (!hasCompatibleOffering(t, requirements)) continue;
    types.push(t);
  }
  if (poolTypesCache.size >= POOL_TYPES_CACHE_LIMIT) poolTypesCache.clear();
  poolTypesCache.set(key, { input: p.instanceTypes, types });
  return types;
}

/** A pool's limits as amounts, `nodes` apart (undefined when it does not limit nodes). */
interface PoolLimits {
  readonly nodes: number | undefined;
  readonly resources: Readonly<Record<string, number>>;
}

/** The limits of a NodePool as amounts; undefined without limits. @throws as limitAmount. */
function parseLimits(np: SolverNodePool['nodePool']): PoolLimits | undefined {
  if (!np.spec.limits) return undefined;
  let nodes: number | undefined;
  const resources: Record<string, number> = {};
  for (const [k, q] of Object.entries(np.spec.limits)) {
    if (k === 'nodes') nodes = limitAmount(k, q);
    else resources[k] = limitAmount(k, q);
  }
  return { nodes, resources };
}

/**
 * What compiling a pool takes from its NodePool object alone (parsed once per object: the cluster
 * state never changes a NodePool in place, a changed one is a new object, and a disruption pass
 * compiles the same pools for every one of its simulations), plus the daemonset requests and the
 * compiled types it was last compiled with. Errors are kept and thrown again, the same each time.
 */
interface PoolBasis {
  readonly name: string;
  /** poolRequirements of the pool, or what it threw. Shared by every compilation: never mutated. */
  readonly requirements: Requirements | Error;
  /** requirements.toString(), '' when they did not parse. */
  readonly text: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly limits: PoolLimits | Error | undefined;
  /** The daemonsets last prepared with, and their requests on the pool's nodes (or what that threw). */
  daemon: { readonly sets: readonly DaemonSet[]; readonly requests: ResourceList | Error } | undefined;
  /** The compiled types last compiled with: for one layout and instance types array. */
  types: { readonly layout: string; readonly input: readonly InstanceType[]; readonly types: CompiledInstanceType[] } | undefined;
}

const bases = new WeakMap<SolverNodePool['nodePool'], PoolBasis>();

function thrown(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function poolBasis(p: SolverNodePool): PoolBasis {
  const np = p.nodePool;
  let b = bases.get(np);
  if (b === undefined) {
    const name = np.metadata.name ?? '';
    let requirements: Requirements | Error;
    try {
      requirements = poolRequirements(p);
    } catch (err) {
      requirements = thrown(err);
    }
    let limits: PoolLimits | Error | undefined;
    try {
      limits = parseLimits(np);
    } catch (err) {
      limits = thrown(err);
    }
    b = {
      name,
      requirements,
      text: requirements instanceof Error ? '' : requirements.toString(),
      labels: { ...(np.spec.template.metadata?.labels ?? {}), [NODEPOOL_LABEL]: name },
      taints: np.spec.template.spec.taints ?? [],
      limits,
      daemon: undefined,
      types: undefined,
    };
    bases.set(np, b);
  }
  return b;
}

/** Same daemonsets, by object, in the same order. */
function sameDaemonSets(a: readonly DaemonSet[], b: readonly DaemonSet[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A pool ready to compile once the resource space is frozen (see preparePool). */
export interface PreparedPool {
  readonly input: SolverNodePool;
  /** poolRequirements(input), shared across solves: never mutate it. */
  readonly requirements: Requirements;
  /** daemonSetRequests for the pool's requirements and taints. Never mutate it. */
  readonly daemon: ResourceList;
  readonly basis: PoolBasis;
}

/**
 * The pool's requirements and the requests of the daemonsets its nodes would run, the latter
 * registered with the (not yet frozen) space; kept per NodePool object and daemonset objects.
 * @throws Error as poolRequirements or daemonSetRequests threw for this NodePool object.
 */
export function preparePool(p: SolverNodePool, daemonSets: readonly DaemonSet[], space: ResourceSpace): PreparedPool {
  const basis = poolBasis(p);
  const requirements = basis.requirements;
  if (requirements instanceof Error) throw requirements;
  let daemon = basis.daemon;
  if (daemon === undefined || !sameDaemonSets(daemon.sets, daemonSets)) {
    let requests: ResourceList | Error;
    try {
      requests = daemonSetRequests(daemonSets, requirements, basis.taints);
    } catch (err) {
      requests = thrown(err);
    }
    basis.daemon = daemon = { sets: daemonSets, requests };
  }
  if (daemon.requests instanceof Error) throw daemon.requests;
  space.register(daemon.requests);
  return { input: p, requirements, daemon: daemon.requests, basis };
}

/** Limits − usage per resource (Infinity for unlimited ones), as a vector of the frozen space. */
function remainingVector(space: ResourceSpace, limits: PoolLimits, usage: ResourceList): Vec {
  const remaining = space.zero().fill(Infinity);
  for (const k in limits.resources) {
    const limit = limits.resources[k]!;
    const used = usage[k];
    remaining[space.indexOf(k)] = used === undefined ? limit : limit - used;
  }
  return remaining;
}

/**
 * Compiles one prepared NodePool in the frozen space (`layout` is its names joined by commas).
 * Instance types whose requirements conflict with the pool's, or with no available offering the
 * pool allows, are dropped here once rather than per pod.
 * @throws Error for limits that do not parse (validation should have caught them).
 */
export function compileNodePool(pool: PreparedPool, space: ResourceSpace, layout: string): NodePoolTemplate {
  const { input: p, requirements, daemon, basis } = pool;
  const np = p.nodePool;
  const name = basis.name;
  // Daemonset pods count against the node's pod capacity too: podRequests counted one pod each.
  const daemonOverhead = space.vector(daemon);

  const limits = basis.limits;
  if (limits instanceof Error) throw limits;
  let remaining: Vec | undefined;
  let remainingNodes = Infinity;
  if (limits) {
    if (limits.nodes !== undefined) remainingNodes = limits.nodes - (p.usage?.nodes ?? 0);
    remaining = remainingVector(space, limits, p.usage ?? {});
  }

  let instanceTypes: CompiledInstanceType[];
  const last = basis.types;
  if (last !== undefined && last.layout === layout && sameTypes(last.input, p.instanceTypes)) {
    instanceTypes = last.types;
    // The caller's array is kept: its next solves find it by identity.
    if (last.input !== p.instanceTypes) basis.types = { layout, input: p.instanceTypes, types: instanceTypes };
  } else {
    instanceTypes = poolTypes(p, space, layout, requirements, basis.text);
    basis.types = { layout, input: p.instanceTypes, types: instanceTypes };
  }
  let problem: string | undefined;
  if (instanceTypes.length === 0) problem = `nodepool ${name}: no instance type satisfies its requirements (${basis.text}) with an available offering`;
  return {
    name,
    weight: np.spec.weight ?? 0,
    requirements,
    taints: basis.taints,
    labels: basis.labels,
    instanceTypes,
    daemonOverhead,
    daemonOverheadList: daemon,
    remaining,
    remainingNodes,
    problem,
  };
}

/** Sum of vectors, for callers that total daemon overhead or requests. */
export function sumVectors(space: ResourceSpace, vs: readonly Vec[]): Vec {
  const out = space.zero();
  for (const v of vs) addInto(out, v);
  return out;
}
