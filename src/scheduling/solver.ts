/**
 * The scheduling solver: places pending pods on existing nodes, then in-flight ones, then on new
 * NodeClaims from the NodePools in weight order, honouring every constraint the pod carries, and
 * returns the plan. Pure: no I/O, no clock; the same input gives the same output.
 */
import type { Pod } from '../apis/core.js';
import { HOSTNAME_LABEL, normalizeLabelKey } from '../apis/labels.js';
import type { ResourceList } from '../utils/resources.js';
import { formatResourceAmount } from '../utils/quantity.js';
import {
  compileNodePool,
  daemonSetRequests,
  poolRequirements,
  registerPoolResources,
  type NodePoolTemplate,
} from './node-pool-template.js';
import { compilePodShape, podShapeKey, type PodInfo, type PodShape } from './pod-constraints.js';
import { cachedPodRequests } from './object-facts.js';
import { existingNodeFacts, type ExistingNodeFacts } from './existing-node-facts.js';
import type { Requirements } from './requirements.js';
import { fits, fitsSum, ResourceSpace, sub, type Vec } from './resource-space.js';
import { packByCost } from './cost-packing.js';
import { ClaimSlot, NodeSlot, type SlotContext } from './slots.js';
import { Topology, type NodePlacement, type TopologyGroup } from './topology.js';
import { finalizeClaims } from './finalize.js';
import { typeDomains } from './pool-stats.js';
import { OfferingIndex, type CompiledOption } from './offering-index.js';
import type { SolverInput, SolverNode, SolverResult, UnschedulablePod } from './types.js';
import { VolumeTopology } from './volume-topology.js';

const DEFAULT_MAX_INSTANCE_TYPES = 600;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function limitsText(space: ResourceSpace, pool: NodePoolTemplate): string {
  const parts: string[] = [];
  if (pool.remaining) {
    pool.remaining.forEach((v, i) => {
      if (v !== Infinity) parts.push(`${space.names[i]!}: ${formatResourceAmount(space.names[i]!, Math.max(0, v))} left`);
    });
  }
  if (pool.remainingNodes !== Infinity) parts.push(`nodes: ${pool.remainingNodes} left`);
  return parts.join(', ');
}

/** Orders pools as Karpenter does: higher weight first, then by name. */
function orderPools(pools: NodePoolTemplate[]): NodePoolTemplate[] {
  return pools.sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Solves one batch.
 * Never throws for bad pods (they are reported in `unschedulable`); a NodePool whose spec cannot be
 * compiled is skipped and named in the reasons of pods that found no place.
 */
export function solve(input: SolverInput): SolverResult {
  const opts = input.options ?? {};
  const space = new ResourceSpace();
  const unschedulable: UnschedulablePod[] = [];
  const volumes = new VolumeTopology(input.volumes, normalizeLabelKey);

  // 1. Register every resource name before any vector is made.
  const pending: { pod: Pod; requests: ResourceList; volumeReqs: Requirements | undefined }[] = [];
  // Indexed loops over pods here and below: these run once per pod before the JIT has warmed up,
  // and an unoptimized for-of allocates an iterator result per element.
  for (let i = 0; i < input.pods.length; i++) {
    const pod = input.pods[i]!;
    try {
      const requests = cachedPodRequests(pod);
      const volumeReqs = volumes.requirementsFor(pod);
      space.register(requests);
      pending.push({ pod, requests, volumeReqs });
    } catch (err) {
      unschedulable.push({ pod, reason: errorMessage(err) });
    }
  }
  registerPoolResources(input.nodePools, space);
  const poolProblems: string[] = [];
  const poolInputs: { p: (typeof input.nodePools)[number]; reqs: Requirements; daemon: ResourceList }[] = [];
  for (const p of input.nodePools) {
    try {
      const reqs = poolRequirements(p);
      const daemon = daemonSetRequests(input.daemonSets ?? [], reqs, p.nodePool.spec.template.spec.taints ?? []);
      space.register(daemon);
      poolInputs.push({ p, reqs, daemon });
    } catch (err) {
      poolProblems.push(`nodepool ${p.nodePool.metadata.name ?? ''}: ${errorMessage(err)}`);
    }
  }
  const nodes = input.nodes ?? [];
  const nodeFacts = knownFacts(nodes, input.nodeFacts) ?? nodes.map(existingNodeFacts);
  for (let i = 0; i < nodeFacts.length; i++) space.register(nodeFacts[i]!.names);
  space.freeze();
  const layout = internLayout(space.names.join(','));

  // 2. Compile pools, nodes and pods.
  const pools: NodePoolTemplate[] = [];
  for (const { p, reqs, daemon } of poolInputs) {
    try {
      const t = compileNodePool(p, space, reqs, daemon);
      if (t.problem) poolProblems.push(t.problem);
      else pools.push(t);
    } catch (err) {
      poolProblems.push(`nodepool ${p.nodePool.metadata.name ?? ''}: ${errorMessage(err)}`);
    }
  }
  orderPools(pools);

  const topology = new Topology();
  const pods: PodInfo[] = [];
  // Pods of one Deployment differ only in name: compile each shape once.
  const shapes = new Map<string, PodShape | Error>();
  for (let i = 0; i < pending.length; i++) {
    const { pod, requests, volumeReqs } = pending[i]!;
    const key = podShapeKey(pod, requests, volumeReqs);
    let shape = shapes.get(key);
    if (!shape) {
      try {
        shape = compilePodShape(pod, { space, requestList: requests, ignorePreferences: opts.ignorePreferences ?? false, volumeRequirements: volumeReqs, normalizeKey: normalizeLabelKey });
      } catch (err) {
        shape = err instanceof Error ? err : new Error(String(err));
      }
      shapes.set(key, shape);
    }
    if (shape instanceof Error) unschedulable.push({ pod, reason: shape.message });
    else pods.push(shape.instantiate(pod));
  }

  // Groups for every pod's strictest rung (relaxed rungs only drop terms) and existing anti-affinity.
  const keys = new Set<string>();
  for (let i = 0; i < pods.length; i++) for (const t of pods[i]!.variant.terms) keys.add(t.key);
  const existingAnti: { group: TopologyGroup; node: number }[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const anti = nodeFacts[i]!.pods.antiTerms;
    for (let j = 0; j < anti.length; j++) {
      existingAnti.push({ group: topology.group(anti[j]!), node: i });
      keys.add(anti[j]!.key);
    }
  }
  for (const key of keys) {
    if (key === HOSTNAME_LABEL) continue;
    for (const pool of pools) {
      const poolReq = pool.requirements.get(key);
      // Registering a domain twice with the same taints does nothing: each distinct value once.
      const values = typeDomains(pool, key);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!poolReq || poolReq.has(v)) topology.registerDomain(key, v, pool.taints);
      }
      if (poolReq && !poolReq.complement) for (const v of poolReq.values) topology.registerDomain(key, v, pool.taints);
    }
  }
  const keyList = [...keys];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    for (let j = 0; j < keyList.length; j++) {
      const v = n.labels[keyList[j]!];
      if (v !== undefined) topology.registerDomain(keyList[j]!, v, n.taints);
    }
  }
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i]!;
    for (const t of p.variant.terms) topology.group(t, p);
  }

  // Slots only for the nodes some pod of the batch may still fit: requests never shrink, so a node
  // short of what every pod asks for in some resource (or that takes no pods) rejects each of
  // them, every time. At a thousand nodes most are full; they count for topology all the same.
  const least = leastRequests(space, pods);
  const nodeSlots: NodeSlot[] = [];
  const recorded: NodePlacement[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    const f = nodeFacts[k]!;
    const remaining = f.remaining(space, layout);
    if (n.unschedulable !== true && fits(least, remaining)) {
      nodeSlots.push(new NodeSlot(n.name, f.labels, n.taints, remaining, n.inFlight ?? false, false, f.hostPorts));
    }
    if (n.pods.length > 0) recorded.push(f.placement);
  }
  topology.recordNodes(recorded);
  for (const { group, node } of existingAnti) group.recordOwner(nodeFacts[node]!.labels.requirements);
  // Initialised nodes first, then in-flight ones.
  nodeSlots.sort((a, b) => Number(a.inFlight) - Number(b.inFlight));

  // 3. Place.
  const groupCache = new WeakMap<PodInfo['variant'], { owned: TopologyGroup[]; inverse: TopologyGroup[] }>();
  // First fit asks for one pod's groups on slot after slot: the last answer is usually the one.
  let lastVariant: PodInfo['variant'] | undefined;
  let lastGroups: { owned: TopologyGroup[]; inverse: TopologyGroup[] } | undefined;
  const ctx: SlotContext = {
    space,
    topology,
    groupsOf(pod) {
      if (pod.variant === lastVariant) return lastGroups!;
      let g = groupCache.get(pod.variant);
      if (!g) {
        const owned = pod.variant.terms.map((t) => topology.group(t, pod));
        const inverse = topology.antiAffinityGroups.filter((ag) => ag.selects(pod.namespace, pod.labels));
        g = { owned, inverse };
        groupCache.set(pod.variant, g);
      }
      lastVariant = pod.variant;
      lastGroups = g;
      return g;
    },
  };
  const offerings = new OfferingIndex();
  const placer = new Placer(ctx, pools, nodeSlots, poolProblems, offerings, input.stopWhenPlaced);
  // Pods with inter-pod constraints first, by first fit; then the rest, packed for cost.
  const optimize = opts.optimizeCost ?? true;
  const isSimple = (p: PodInfo): boolean => optimize && p.variant.terms.length === 0 && p.hostPorts.length === 0 && ctx.groupsOf(p).inverse.length === 0;
  const order = sortPods(pods);
  // A pod that fails may fit once others are placed (affinity to a pod later in the order), so
  // failed pods are retried, as Karpenter requeues them, until a pass places none.
  const retry = (queue: PodInfo[]): { pod: PodInfo; reason: string }[] => {
    for (;;) {
      const failed: { pod: PodInfo; reason: string }[] = [];
      for (const pod of queue) {
        const reason = placer.place(pod);
        if (reason !== undefined) failed.push({ pod, reason });
      }
      if (failed.length === 0 || failed.length === queue.length) return failed;
      queue = failed.map((f) => f.pod);
    }
  };
  try {
    const failed = retry(order.filter((p) => !isSimple(p)));
    for (const u of placer.placeSimple(order.filter(isSimple))) unschedulable.push(u);
    // Once the plain pods are placed, pods that wanted to be near them may fit.
    for (const f of failed.length > 0 ? retry(failed.map((x) => x.pod)) : []) unschedulable.push({ pod: f.pod.pod, reason: f.reason });
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
    const existingNodes = nodeSlots.filter((n) => n.placed.length > 0).map((n) => ({ node: n.name, pods: n.placed.map((p) => p.pod) }));
    return { newNodeClaims: [], existingNodes, unschedulable, totalPricePerHour: 0, stopped: { pod: err.pod, node: err.node } };
  }

  // 4. Finalize: instance type options, prices, limits.
  const { claims, overLimit } = finalizeClaims(space, placer.claims, pools, opts.maxInstanceTypes ?? DEFAULT_MAX_INSTANCE_TYPES, offerings);
  unschedulable.push(...overLimit);
  const existingNodes = nodeSlots.filter((n) => n.placed.length > 0).map((n) => ({ node: n.name, pods: n.placed.map((p) => p.pod) }));
  return {
    newNodeClaims: claims,
    existingNodes,
    unschedulable,
    totalPricePerHour: claims.reduce((s, c) => s + c.pricePerHour, 0),
  };
}

/** Layouts seen, each kept as one string object (so caches keyed by layout compare pointers). */
const layouts = new Map<string, string>();

function internLayout(layout: string): string {
  const known = layouts.get(layout);
  if (known !== undefined) return known;
  if (layouts.size >= 64) layouts.clear();
  layouts.set(layout, layout);
  return layout;
}

/** The caller's facts of the nodes when they are theirs (see SolverInput.nodeFacts), else undefined. */
function knownFacts(nodes: readonly SolverNode[], facts: readonly ExistingNodeFacts[] | undefined): readonly ExistingNodeFacts[] | undefined {
  if (facts?.length !== nodes.length) return undefined;
  for (let i = 0; i < nodes.length; i++) if (!facts[i]!.describes(nodes[i]!)) return undefined;
  return facts;
}

/** Per resource, the least any of the pods requests (Infinity without pods). */
function leastRequests(space: ResourceSpace, pods: readonly PodInfo[]): Vec {
  const least = new Float64Array(space.size).fill(Infinity);
  for (let i = 0; i < pods.length; i++) {
    const r = pods[i]!.requests;
    for (let d = 0; d < least.length; d++) if (r[d]! < least[d]!) least[d] = r[d]!;
  }
  return least;
}

/** True when the requests name a resource beyond cpu, memory, pods and ephemeral storage (those come first in a ResourceSpace). */
function hasExtended(requests: Vec): boolean {
  for (let d = 4; d < requests.length; d++) if (requests[d]! > 0) return true;
  return false;
}

/** Largest first (cpu, then memory), as Karpenter orders a batch; ties keep input order. */
function sortPods(pods: PodInfo[]): PodInfo[] {
  return pods
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p.requests[0]! - a.p.requests[0]! || b.p.requests[1]! - a.p.requests[1]! || a.i - b.i)
    .map((x) => x.p);
}

/** Thrown by the Placer when SolverInput.stopWhenPlaced ends the solve. */
class Stopped extends Error {
  constructor(readonly pod: Pod, readonly node: string) {
    super(`stopped: pod placed on ${node}`);
  }
}

/** First fit over existing nodes, open claims and new claims, with per-class scan pointers. */
class Placer {
  readonly claims: ClaimSlot[] = [];
  /** For classes whose rejections are permanent: where the next scan may start. */
  readonly #nodeStart = new Map<string, number>();
  readonly #claimStart = new Map<string, number>();
  readonly #openCount = new Map<NodePoolTemplate, number>();
  #nextHostname = 0;

  constructor(
    private readonly ctx: SlotContext,
    private readonly pools: readonly NodePoolTemplate[],
    private readonly nodes: readonly NodeSlot[],
    private readonly poolProblems: readonly string[],
    private readonly offerings: OfferingIndex,
    private readonly stopWhenPlaced: ((pod: Pod, nodeName: string) => boolean) | undefined,
  ) {}

  /** Places the pod, relaxing preferences as needed; returns the reason when it fits nowhere. */
  place(pod: PodInfo): string | undefined {
    for (;;) {
      const cls = this.#classOf(pod);
      if (this.#tryNodes(pod, cls) || this.#tryClaims(pod, cls)) return undefined;
      const reasons = this.#tryNewClaim(pod, cls);
      if (reasons === undefined) return undefined;
      if (!pod.relax()) return this.#reason(reasons);
    }
  }

  /**
   * Places pods without inter-pod constraints: existing nodes first, then the free room of claims
   * already planned (room their cheapest type has anyway), then new claims packed for cost per
   * group of pods with the same constraints. Returns the pods that fit nowhere.
   */
  placeSimple(pods: readonly PodInfo[]): UnschedulablePod[] {
    const unschedulable: UnschedulablePod[] = [];
    const rest: PodInfo[] = [];
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      if (!this.#tryNodes(pod, this.#classOf(pod))) rest.push(pod);
    }
    const planned = this.claims.map((claim) => ({ claim, room: this.#freeRoom(claim) }));
    const left: PodInfo[] = [];
    for (let i = 0; i < rest.length; i++) {
      const pod = rest[i]!;
      if (!this.#tryFreeRoom(pod, planned)) left.push(pod);
    }
    const groups = new Map<string, PodInfo[]>();
    for (let i = 0; i < left.length; i++) {
      const pod = left[i]!;
      const key = pod.variant.signature;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(pod);
    }
    for (const group of groups.values()) {
      for (const pod of this.#packGroup(group)) {
        const reason = this.place(pod);
        if (reason !== undefined) unschedulable.push({ pod: pod.pod, reason });
      }
    }
    return unschedulable;
  }

  /** What the claim's cheapest type holds beyond the claim's requests. */
  #freeRoom(claim: ClaimSlot): Float64Array {
    const cheapest = claim.cheapest(this.offerings);
    return cheapest ? sub(cheapest.type.allocatable, claim.requests) : new Float64Array(claim.requests.length);
  }

  /** Adds the pod to a planned claim whose cheapest type holds it already (no extra cost). */
  #tryFreeRoom(pod: PodInfo, planned: { claim: ClaimSlot; room: Float64Array }[]): boolean {
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i]!;
      if (!fits(pod.requests, p.room)) continue;
      if (p.claim.tryAdd(this.ctx, pod) === undefined) {
        p.room = this.#freeRoom(p.claim);
        return true;
      }
    }
    return false;
  }

  /**
   * Packs a group of same-constraint pods for cost: each pod goes to the first pool, by weight, with
   * an instance type it fits, and each pool's share is packed onto new claims. Returns the pods left
   * to first fit: those of pools whose limits could bind (first fit checks limits claim by claim),
   * pods with extended resources, and any a packed claim did not take.
   */
  #packGroup(group: readonly PodInfo[]): PodInfo[] {
    const rest: PodInfo[] = [];
    const byPool = new Map<NodePoolTemplate, { pods: PodInfo[]; options: readonly CompiledOption[] }>();
    const candidates = this.pools.map((pool) => ({ pool, options: this.#groupOptions(pool, group[0]!) }));
    // Pods of a group mostly share a few request shapes: find each shape's pool once.
    const homes = new Map<string, (typeof candidates)[number] | undefined>();
    // Pods of one shape share their requests vector: look the vector up before building its text.
    const homesByVector = new Map<Vec, (typeof candidates)[number] | undefined>();
    for (let i = 0; i < group.length; i++) {
      const pod = group[i]!;
      if (hasExtended(pod.requests)) {
        rest.push(pod);
        continue;
      }
      let home = homesByVector.get(pod.requests);
      if (home === undefined && !homesByVector.has(pod.requests)) {
        const shape = pod.requests.join(',');
        home = homes.get(shape);
        if (home === undefined && !homes.has(shape)) {
          home = candidates.find((c) => c.options.some((o) => fitsSum(pod.requests, c.pool.daemonOverhead, o.type.allocatable)));
          homes.set(shape, home);
        }
        homesByVector.set(pod.requests, home);
      }
      if (!home) {
        rest.push(pod); // first fit explains why it fits nowhere
        continue;
      }
      let share = byPool.get(home.pool);
      if (!share) byPool.set(home.pool, (share = { pods: [], options: home.options }));
      share.pods.push(pod);
    }
    for (const [pool, share] of byPool) {
      const packing = packByCost(share.pods, share.options, pool.daemonOverhead);
      if (!packing || !this.#limitsRoomy(pool, packing.bins.length)) {
        rest.push(...share.pods);
        continue;
      }
      for (const bin of packing.bins) {
        const claim = this.#newClaim(pool, pool.instanceTypes);
        for (let i = 0; i < bin.length; i++) if (claim.tryAdd(this.ctx, bin[i]!) !== undefined) rest.push(bin[i]!);
        if (claim.pods.length > 0) this.#pushClaim(claim);
      }
    }
    return rest;
  }

  /** The options (cheapest first) of a pool for pods with the constraints of `sample`, ignoring resources. */
  #groupOptions(pool: NodePoolTemplate, sample: PodInfo): readonly CompiledOption[] {
    const weightless: PodInfo = { ...sample, requests: this.ctx.space.zero() };
    const probe = new ClaimSlot(this.ctx, pool, 'hostname-placeholder-probe', pool.instanceTypes).probe(this.ctx, weightless);
    if (!probe) return [];
    // Types are a subset of the pool's: as many means all of them, whose options are kept across solves.
    if (probe.types.length === pool.instanceTypes.length) return this.offerings.all(pool, probe.requirements);
    return this.offerings.options(pool, probe.requirements, probe.types);
  }

  /** True when the pool's limits hold even if its open claims and `more` new ones all took its largest type. */
  #limitsRoomy(pool: NodePoolTemplate, more: number): boolean {
    const open = this.#openClaims(pool) + more;
    if (open > pool.remainingNodes) return false;
    if (!pool.remaining) return true;
    const maxCap = this.#maxCapacity(pool);
    for (let i = 0; i < maxCap.length; i++) if (open * maxCap[i]! > pool.remaining[i]!) return false;
    return true;
  }

  /** A claim with a fresh hostname, not yet in the plan (#pushClaim adds it once it holds a pod). */
  #newClaim(pool: NodePoolTemplate, types: NodePoolTemplate['instanceTypes']): ClaimSlot {
    const hostname = `hostname-placeholder-${String(this.#nextHostname++).padStart(4, '0')}`;
    this.ctx.topology.registerDomain(HOSTNAME_LABEL, hostname, pool.taints);
    return new ClaimSlot(this.ctx, pool, hostname, types);
  }

  // A variant is shared only by pods of one shape (same namespace, labels, requests and ports), so
  // its class key is too.
  readonly #classes = new WeakMap<PodInfo['variant'], string | undefined>();

  /** A class key when every rejection of this pod's rung is permanent, else undefined. */
  #classOf(pod: PodInfo): string | undefined {
    if (this.#classes.has(pod.variant)) return this.#classes.get(pod.variant);
    let cls: string | undefined = `${pod.variant.signature}|${pod.namespace}|${JSON.stringify(pod.labels)}|${pod.requests.join(',')}|${JSON.stringify(pod.hostPorts)}`;
    for (const t of pod.variant.terms) if (t.kind === 'affinity' || (t.kind === 'spread' && t.key !== HOSTNAME_LABEL)) cls = undefined;
    this.#classes.set(pod.variant, cls);
    return cls;
  }

  #tryNodes(pod: PodInfo, cls: string | undefined): boolean {
    const start = cls ? (this.#nodeStart.get(cls) ?? 0) : 0;
    for (let i = start; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      if (node.tryAdd(this.ctx, pod) === undefined) {
        if (cls) this.#nodeStart.set(cls, i);
        if (this.stopWhenPlaced?.(pod.pod, node.name) === true) throw new Stopped(pod.pod, node.name);
        return true;
      }
    }
    if (cls) this.#nodeStart.set(cls, this.nodes.length);
    return false;
  }

  #tryClaims(pod: PodInfo, cls: string | undefined): boolean {
    const start = cls ? (this.#claimStart.get(cls) ?? 0) : 0;
    for (let i = start; i < this.claims.length; i++) {
      if (this.claims[i]!.tryAdd(this.ctx, pod) === undefined) {
        if (cls) this.#claimStart.set(cls, i);
        return true;
      }
    }
    if (cls) this.#claimStart.set(cls, this.claims.length);
    return false;
  }

  /** Opens a claim from the first pool that can take the pod; returns per-pool reasons on failure. */
  #tryNewClaim(pod: PodInfo, cls: string | undefined): string[] | undefined {
    const reasons: string[] = [];
    for (const pool of this.pools) {
      if (this.#openClaims(pool) >= pool.remainingNodes) {
        reasons.push(`nodepool ${pool.name} has reached its node limit`);
        continue;
      }
      const types = this.#typesWithinLimits(pool);
      if (types.length === 0) {
        reasons.push(`nodepool ${pool.name} has reached its resource limits`);
        continue;
      }
      const hostname = `hostname-placeholder-${String(this.#nextHostname).padStart(4, '0')}`;
      this.ctx.topology.registerDomain(HOSTNAME_LABEL, hostname, pool.taints);
      const claim = new ClaimSlot(this.ctx, pool, hostname, types);
      const why = claim.tryAdd(this.ctx, pod, false);
      if (why === undefined) {
        this.#nextHostname++;
        this.#pushClaim(claim);
        if (cls) this.#claimStart.set(cls, this.claims.length - 1);
        return undefined;
      }
      if (types.length < pool.instanceTypes.length && new ClaimSlot(this.ctx, pool, hostname, pool.instanceTypes).probe(this.ctx, pod)) {
        reasons.push(`nodepool ${pool.name} would exceed its limits (${limitsText(this.ctx.space, pool)}) with a node big enough for this pod`);
        continue;
      }
      reasons.push(new ClaimSlot(this.ctx, pool, hostname, types).tryAdd(this.ctx, pod, true) ?? why);
    }
    return reasons;
  }

  readonly #maxCaps = new Map<NodePoolTemplate, Float64Array>();

  #maxCapacity(pool: NodePoolTemplate): Float64Array {
    let m = this.#maxCaps.get(pool);
    if (!m) {
      m = new Float64Array(pool.daemonOverhead.length);
      for (const t of pool.instanceTypes) for (let i = 0; i < m.length; i++) m[i] = Math.max(m[i]!, t.capacity[i]!);
      this.#maxCaps.set(pool, m);
    }
    return m;
  }

  #openClaims(pool: NodePoolTemplate): number {
    return this.#openCount.get(pool) ?? 0;
  }

  #pushClaim(claim: ClaimSlot): void {
    this.claims.push(claim);
    this.#openCount.set(claim.pool, this.#openClaims(claim.pool) + 1);
  }

  /** The pool's types that still fit under its limits, given what its open claims will need. */
  #typesWithinLimits(pool: NodePoolTemplate): NodePoolTemplate['instanceTypes'] {
    if (!pool.remaining || this.#limitsRoomy(pool, 1)) return pool.instanceTypes;
    const left = pool.remaining.slice();
    for (const c of this.claims) {
      if (c.pool !== pool) continue;
      const cheapest = c.cheapest(this.offerings);
      if (cheapest) for (let i = 0; i < left.length; i++) left[i]! -= cheapest.type.capacity[i]!;
    }
    return pool.instanceTypes.filter((t) => {
      for (let i = 0; i < left.length; i++) if (t.capacity[i]! > left[i]!) return false;
      return true;
    });
  }

  #reason(poolReasons: readonly string[]): string {
    const all = [...poolReasons, ...this.poolProblems];
    if (all.length === 0) return 'no nodepool can launch nodes (none is valid or none exists)';
    return all.join('; ');
  }
}
