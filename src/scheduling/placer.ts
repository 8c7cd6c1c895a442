/**
 * The solver's placement step: first fit of one pod at a time over existing nodes, then claims
 * already opened, then a new claim from the first NodePool that can take it, with per-class scan
 * pointers so pods of one kind do not rescan nodes that refused them; and the cost packing of plain
 * pods. Used by solve (solver.ts), which builds the slots and finalises the claims.
 */
import type { Pod } from '../apis/core.js';
import { HOSTNAME_LABEL } from '../apis/labels.js';
import { formatResourceAmount } from '../utils/quantity.js';
import type { NodePoolTemplate } from './node-pool-template.js';
import type { PodInfo } from './pod-constraints.js';
import { fits, fitsSum, sub, type ResourceSpace, type Vec } from './resource-space.js';
import { packByCost } from './cost-packing.js';
import { poolStats } from './pool-stats.js';
import { ClaimSlot, TopologyRejections, type NodeSlot, type SlotContext } from './slots.js';
import type { OfferingIndex, CompiledOption } from './offering-index.js';
import type { UnschedulablePod } from './types.js';

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

/** True when the requests name a resource beyond cpu, memory, pods and ephemeral storage (those come first in a ResourceSpace). */
function hasExtended(requests: Vec): boolean {
  for (let d = 4; d < requests.length; d++) if (requests[d]! > 0) return true;
  return false;
}

/**
 * Thrown by the Placer when SolverInput.stopWhenPlaced ends the solve (`node` is where the pod was
 * placed), or stopWhenClaimed does (`node` is the placeholder hostname of the claim it joined).
 */
export class Stopped extends Error {
  constructor(readonly pod: Pod, readonly node: string, readonly claims = false) {
    // solve catches it and returns a result: no stack is ever read, so none is captured (a
    // disruption simulation with nodes in flight may stop in most of its solves).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`stopped: pod placed on ${node}`);
    Error.stackTraceLimit = limit;
  }
}

/**
 * Class keys by variant, kept across solves: a variant belongs to one compiled pod shape (same
 * namespace, labels, requests and ports, see compilePodShape), shapes are kept across solves, and a
 * variant never changes, so neither does its key.
 */
const classes = new WeakMap<PodInfo['variant'], string | undefined>();

/**
 * Placer.#groupOptions answers by the pods' variant, kept across solves: a pool's options for a
 * variant of a plain pod (no topology terms, no host ports, no anti-affinity against it) follow from
 * the variant, which never changes, and from the pool's requirements, taints, labels, compiled
 * types and daemonset overhead. Pools compiled from one NodePool object share the first four
 * objects solve after solve (see compileNodePool); the overhead is compared by value. Never
 * mutate the options.
 */
const groupOptionsCache = new WeakMap<PodInfo['variant'], {
  readonly types: NodePoolTemplate['instanceTypes'];
  readonly requirements: NodePoolTemplate['requirements'];
  readonly taints: NodePoolTemplate['taints'];
  readonly labels: NodePoolTemplate['labels'];
  readonly daemon: Vec;
  readonly options: readonly CompiledOption[];
}[]>();
/** Pools remembered per variant (a cluster has a handful). */
const GROUP_OPTIONS_PER_VARIANT = 8;

/** Same value in every resource. */
function sameVec(a: Vec, b: Vec): boolean {
  if (a.length !== b.length) return false;
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return false;
  return true;
}

/**
 * Whether Placer skips scans over existing nodes that must fail (see Placer.#tryNodes). Always on;
 * the property test turns it off for the solve it compares against.
 */
export const failedScans = { skip: true };

/** True when the two pods give a scan over existing nodes the same inputs besides their variant. */
function sameInputs(a: PodInfo, b: PodInfo): boolean {
  return a.requests === b.requests && a.hostPorts === b.hostPorts && a.labels === b.labels && a.namespace === b.namespace;
}

/** First fit over existing nodes, open claims and new claims, with per-class scan pointers. */
export class Placer {
  readonly claims: ClaimSlot[] = [];
  /** For classes whose rejections are permanent: where the next scan may start. */
  readonly #nodeStart = new Map<string, number>();
  readonly #claimStart = new Map<string, number>();
  readonly #openCount = new Map<NodePoolTemplate, number>();
  /** Indexes of the nodes that took a pod, in the order of their first. */
  readonly #taken: number[] = [];
  /** Claims holding a pod SolverInput.stopWhenClaimed counts. */
  readonly #counted = new Set<ClaimSlot>();
  #nextHostname = 0;
  /**
   * Bumped whenever something a scan over existing nodes reads may have changed: a pod placed on a
   * node or a claim (node room and ports, topology counts) or a hostname domain made known with
   * taints not yet seen for it. Nothing else a node's verdict reads changes during a solve.
   */
  #changes = 0;
  /** Per variant, the pod whose scan over existing nodes last failed, and #changes at that time. */
  readonly #failedScans = new Map<PodInfo['variant'], { readonly pod: PodInfo; readonly changes: number }>();
  /** Hostname domains registered by this placer, with the taints objects each was registered with. */
  readonly #hostnames = new Map<string, Set<NodePoolTemplate['taints']>>();

  constructor(
    private readonly ctx: SlotContext,
    private readonly pools: readonly NodePoolTemplate[],
    private readonly nodes: readonly NodeSlot[],
    private readonly poolProblems: readonly string[],
    private readonly offerings: OfferingIndex,
    private readonly stopWhenPlaced: ((pod: Pod, nodeName: string) => boolean) | undefined,
    private readonly stopWhenClaimed?: { readonly pods: (pod: Pod) => boolean; readonly most: number },
  ) {}

  /** The nodes that took a pod, in node order (no scan over every node). */
  placedNodes(): NodeSlot[] {
    const taken = this.#taken.slice().sort((a, b) => a - b);
    const out: NodeSlot[] = [];
    for (let i = 0; i < taken.length; i++) out.push(this.nodes[taken[i]!]!);
    return out;
  }

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
        this.#joined(p.claim, pod);
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
        for (let i = 0; i < bin.length; i++) {
          if (claim.tryAdd(this.ctx, bin[i]!) !== undefined) rest.push(bin[i]!);
          else this.#joined(claim, bin[i]!);
        }
        if (claim.pods.length > 0) this.#pushClaim(claim);
      }
    }
    return rest;
  }

  /**
   * The options (cheapest first) of a pool for pods with the constraints of `sample`, ignoring
   * resources; `sample` takes the cost packing (no inter-pod constraint, no host port), so only its
   * variant and the pool's facts decide them: kept across solves (see groupOptionsCache).
   */
  #groupOptions(pool: NodePoolTemplate, sample: PodInfo): readonly CompiledOption[] {
    let entries = groupOptionsCache.get(sample.variant);
    if (!entries) groupOptionsCache.set(sample.variant, (entries = []));
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.types === pool.instanceTypes && e.requirements === pool.requirements && e.taints === pool.taints && e.labels === pool.labels && sameVec(e.daemon, pool.daemonOverhead)) return e.options;
    }
    // A copy of the sample's fields for one probe: never relaxed nor keyed (those live on its prototype).
    const weightless: PodInfo = { ...sample, requests: this.ctx.space.zero() };
    const probe = new ClaimSlot(this.ctx, pool, 'hostname-placeholder-probe', pool.instanceTypes).probe(this.ctx, weightless);
    let options: readonly CompiledOption[];
    if (!probe) options = [];
    // Types are a subset of the pool's: as many means all of them, whose options are kept across solves.
    else if (probe.types.length === pool.instanceTypes.length) options = this.offerings.all(pool, probe.requirements);
    else options = this.offerings.options(pool, probe.requirements, probe.types);
    if (entries.length >= GROUP_OPTIONS_PER_VARIANT) entries.length = 0;
    entries.push({ types: pool.instanceTypes, requirements: pool.requirements, taints: pool.taints, labels: pool.labels, daemon: pool.daemonOverhead.slice(), options });
    return options;
  }

  /** True when the pool's limits hold even if its open claims and `more` new ones all took its largest type. */
  #limitsRoomy(pool: NodePoolTemplate, more: number): boolean {
    const open = this.#openClaims(pool) + more;
    if (open > pool.remainingNodes) return false;
    if (!pool.remaining) return true;
    const maxCap = poolStats(pool).maxCapacity;
    for (let i = 0; i < maxCap.length; i++) if (open * maxCap[i]! > pool.remaining[i]!) return false;
    return true;
  }

  /** A claim with a fresh hostname, not yet in the plan (#pushClaim adds it once it holds a pod). */
  #newClaim(pool: NodePoolTemplate, types: NodePoolTemplate['instanceTypes']): ClaimSlot {
    const hostname = `hostname-placeholder-${String(this.#nextHostname++).padStart(4, '0')}`;
    this.#registerHostname(hostname, pool);
    return new ClaimSlot(this.ctx, pool, hostname, types);
  }

  /**
   * Makes a claim's hostname a domain, with its pool's taints. A failed new claim registers the
   * next hostname again for every pod that fits nowhere: with taints it was registered with
   * already, that changes nothing (Topology keeps one taint set per content), so #changes stays.
   */
  #registerHostname(hostname: string, pool: NodePoolTemplate): void {
    this.ctx.topology.registerDomain(HOSTNAME_LABEL, hostname, pool.taints);
    let seen = this.#hostnames.get(hostname);
    if (!seen) this.#hostnames.set(hostname, (seen = new Set()));
    if (seen.has(pool.taints)) return;
    seen.add(pool.taints);
    this.#changes++;
  }

  /** A class key when every rejection of this pod's rung is permanent, else undefined. */
  #classOf(pod: PodInfo): string | undefined {
    if (classes.has(pod.variant)) return classes.get(pod.variant);
    let cls: string | undefined = `${pod.variant.signature}|${pod.namespace}|${JSON.stringify(pod.labels)}|${pod.requests.join(',')}|${JSON.stringify(pod.hostPorts)}`;
    for (const t of pod.variant.terms) if (t.kind === 'affinity' || (t.kind === 'spread' && t.key !== HOSTNAME_LABEL)) cls = undefined;
    classes.set(pod.variant, cls);
    return cls;
  }

  /**
   * First fit over existing nodes. A pod of the variant of a pod whose scan failed with nothing
   * changed since fails without a scan: the scan reads only the variant, the pod's namespace,
   * labels, requests and host ports (one object each for the pods of a shape) and what #changes
   * counts. Spread pods blocked by their zone would otherwise each visit every roomy node.
   */
  #tryNodes(pod: PodInfo, cls: string | undefined): boolean {
    const failed = this.#failedScans.get(pod.variant);
    if (failedScans.skip && failed !== undefined && failed.changes === this.#changes && sameInputs(failed.pod, pod)) return false;
    const start = cls ? (this.#nodeStart.get(cls) ?? 0) : 0;
    // Nothing is placed until the scan ends: topology verdicts hold for the whole scan.
    const rejections = new TopologyRejections();
    for (let i = start; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      if (node.tryAdd(this.ctx, pod, false, rejections) === undefined) {
        this.#changes++;
        if (node.placed.length === 1) this.#taken.push(i);
        if (cls) this.#nodeStart.set(cls, i);
        if (this.stopWhenPlaced?.(pod.pod, node.name) === true) throw new Stopped(pod.pod, node.name);
        return true;
      }
    }
    if (cls) this.#nodeStart.set(cls, this.nodes.length);
    this.#failedScans.set(pod.variant, { pod, changes: this.#changes });
    return false;
  }

  #tryClaims(pod: PodInfo, cls: string | undefined): boolean {
    const start = cls ? (this.#claimStart.get(cls) ?? 0) : 0;
    for (let i = start; i < this.claims.length; i++) {
      if (this.claims[i]!.tryAdd(this.ctx, pod) === undefined) {
        if (cls) this.#claimStart.set(cls, i);
        this.#joined(this.claims[i]!, pod);
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
      this.#registerHostname(hostname, pool);
      const claim = new ClaimSlot(this.ctx, pool, hostname, types);
      const why = claim.tryAdd(this.ctx, pod, false);
      if (why === undefined) {
        this.#nextHostname++;
        this.#pushClaim(claim);
        if (cls) this.#claimStart.set(cls, this.claims.length - 1);
        this.#joined(claim, pod);
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

  #openClaims(pool: NodePoolTemplate): number {
    return this.#openCount.get(pool) ?? 0;
  }

  /**
   * Notes that the pod joined the claim (a change, see #changes), and ends the solve once more claims hold pods
   * stopWhenClaimed counts than it allows (a claim holding a pod is always planned: #packGroup
   * plans every claim that took one).
   */
  #joined(claim: ClaimSlot, pod: PodInfo): void {
    this.#changes++;
    const stop = this.stopWhenClaimed;
    if (!stop || this.#counted.has(claim) || !stop.pods(pod.pod)) return;
    this.#counted.add(claim);
    if (this.#counted.size > stop.most) throw new Stopped(pod.pod, claim.hostname, true);
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
