/**
 * Where a pod can go: an existing (or in-flight) node with fixed labels and remaining allocatable,
 * or a new NodeClaim whose requirements and instance-type options narrow as pods join it. Each
 * slot checks a pod against taints, requirements, host ports, topology and resources, and commits
 * the placement only when everything holds.
 */
import type { Taint } from '../apis/core.js';
import { CAPACITY_TYPE_LABEL, HOSTNAME_LABEL, isWellKnownLabel, ZONE_LABEL } from '../apis/labels.js';
import { formatResourceAmount } from '../utils/quantity.js';
import type { HostPort } from './host-ports.js';
import { hostPortsConflict } from './host-ports.js';
import { hasCompatibleOffering, type CompiledInstanceType, type NodePoolTemplate } from './node-pool-template.js';
import type { NodeLabelFacts } from './object-facts.js';
import type { CompiledOption, Holding, OfferingIndex } from './offering-index.js';
import type { PodInfo } from './pod-constraints.js';
import { Requirement, type Requirements } from './requirements.js';
import { add, addInto, fits, fitsSum, subInto, type ResourceSpace, type Vec } from './resource-space.js';
import { firstUntoleratedTaint, formatTaint } from './taints.js';
import { bindingDims, poolStats, roomiest } from './pool-stats.js';
import type { Topology, TopologyGroup } from './topology.js';
import { allowUndefinedWellKnown } from './node-pool-template.js';

/** Shared per-solve context the slots need. */
export interface SlotContext {
  readonly space: ResourceSpace;
  readonly topology: Topology;
  /** The current variant's own topology groups, and the anti-affinity groups that select the pod. */
  groupsOf(pod: PodInfo): { owned: readonly TopologyGroup[]; inverse: readonly TopologyGroup[] };
}

type Outcome = string | undefined;
const REJECTED = 'rejected';

/** Narrows requirements by the pod's topology: returns the new set, or a reason. */
function applyTopology(ctx: SlotContext, pod: PodInfo, reqs: Requirements, explain: boolean): Requirements | string {
  const { owned, inverse } = ctx.groupsOf(pod);
  let out = reqs;
  let cloned = false;
  for (const g of owned) {
    const nodeDomains = out.get(g.key) ?? Requirement.exists(g.key);
    const allowed = g.allowed(pod, nodeDomains);
    // Nothing allowed (most slots a spread pod is tried on): no intersection to build.
    const next = allowed.isEmpty() ? allowed : nodeDomains.intersect(allowed);
    if (next.isEmpty()) return explain ? `its ${g.term.kind} constraint on ${g.key} cannot be met there` : REJECTED;
    if (!next.equals(nodeDomains)) {
      if (!cloned) { out = out.clone(); cloned = true; }
      out.add(next);
    }
  }
  for (const g of inverse) {
    const nodeDomains = out.get(g.key) ?? Requirement.exists(g.key);
    const allowed = g.allowedInverse(nodeDomains);
    if (allowed.isEmpty()) return explain ? `the anti-affinity of pods already there (on ${g.key}) rejects it` : REJECTED;
    if (!allowed.equals(nodeDomains)) {
      if (!cloned) { out = out.clone(); cloned = true; }
      out.add(allowed);
    }
  }
  return out;
}

const NO_PODS: readonly PodInfo[] = Object.freeze([]);

/**
 * The topology rejections of one pod's scan over existing nodes (see NodeSlot.tryAdd). The groups
 * change only when a pod is placed (which ends the scan) or a claim registers its hostname (not
 * during the scan), so while they all read one key applyTopology's verdict on a node depends only
 * on the node's requirement on that key: a node labelled with a value of the key that already
 * rejected the pod is rejected without asking the groups again (first fit tries a spread pod on
 * hundreds of nodes in a few zones). Never shared when the key is the hostname (each node its own
 * domain) or the groups read several keys.
 */
export class TopologyRejections {
  /** The groups' one key; null when verdicts cannot be shared; undefined until a first rejection. */
  #key: string | null | undefined;
  /** Made on the first rejection (most scans of plain pods have none). */
  #domains: Set<string> | undefined;

  /** True when a node in the same domain of the key as `node` has been rejected by topology. */
  rejects(node: NodeSlot): boolean {
    const key = this.#key;
    if (typeof key !== 'string') return false;
    const domain = node.domainOf(key);
    // The key is set by the first rejection even when that node had no label of it (no domain noted).
    return domain !== undefined && this.#domains !== undefined && this.#domains.has(domain);
  }

  /** Notes that topology rejected the pod on `node` (the groups are those applyTopology has just read). */
  note(ctx: SlotContext, pod: PodInfo, node: NodeSlot): void {
    if (this.#key === undefined) this.#key = sharedKey(ctx, pod);
    if (this.#key === null) return;
    const domain = node.domainOf(this.#key);
    if (domain !== undefined) (this.#domains ??= new Set()).add(domain);
  }
}

/** The key every owned and inverse group of the pod reads, or null when several or the hostname. */
function sharedKey(ctx: SlotContext, pod: PodInfo): string | null {
  const { owned, inverse } = ctx.groupsOf(pod);
  let key: string | undefined;
  for (const g of [...owned, ...inverse]) {
    if (key !== undefined && g.key !== key) return null;
    key = g.key;
  }
  return key === undefined || key === HOSTNAME_LABEL ? null : key;
}

/** An existing or in-flight node. */
export class NodeSlot {
  readonly requirements: Requirements;
  /** Read it, never write it: the slot copies it on its first placement (see constructor). */
  remaining: Vec;
  #ownRemaining = false;
  #hostPorts: readonly HostPort[];
  #placed: PodInfo[] | undefined;
  readonly #facts: NodeLabelFacts;
  /** What the node holds before any placement: reset() goes back to it. */
  readonly #initialRemaining: Vec;
  readonly #initialHostPorts: readonly HostPort[];

  readonly labels: Readonly<Record<string, string>>;

  /**
   * `facts`: the node's labels and their requirements (see nodeLabelFacts), shared, never written.
   * `allocatableMinusUsed` and `hostPorts` (those its pods hold) are shared too: they are copied
   * before a placement would change them (most slots of a simulation never take a pod).
   */
  constructor(
    readonly name: string,
    facts: NodeLabelFacts,
    readonly taints: readonly Taint[],
    allocatableMinusUsed: Vec,
    readonly inFlight: boolean,
    readonly unschedulable: boolean,
    hostPorts: readonly HostPort[] = [],
  ) {
    this.#facts = facts;
    this.labels = facts.labels;
    this.requirements = facts.requirements;
    this.remaining = allocatableMinusUsed;
    this.#hostPorts = hostPorts;
    this.#initialRemaining = allocatableMinusUsed;
    this.#initialHostPorts = hostPorts;
  }

  /**
   * Forgets every placement: the slot is again as constructed, so one slot object serves solve after
   * solve over the same node (see NodeBase.slot). Never call it while a solve holds the slot.
   */
  reset(): void {
    this.remaining = this.#initialRemaining;
    this.#ownRemaining = false;
    this.#hostPorts = this.#initialHostPorts;
    this.#placed = undefined;
  }

  /** The host ports taken on the node: its pods' and those placed here. */
  get hostPorts(): readonly HostPort[] {
    return this.#hostPorts;
  }

  /** The pods placed here, in order. */
  get placed(): readonly PodInfo[] {
    return this.#placed ?? NO_PODS;
  }

  /**
   * The node's one value of the key (its label), or undefined when its requirement on the key is
   * anything else (no label: TopologyRejections then asks the groups for the node every time).
   */
  domainOf(key: string): string | undefined {
    return this.#facts.domainOf(key);
  }

  /**
   * Places the pod if it fits; returns undefined on success, or why not (a fixed word unless
   * explain). `rejections`, for a scan that places nothing until it succeeds and does not explain,
   * skips nodes whose domain topology rejected already and notes those it rejects.
   */
  tryAdd(ctx: SlotContext, pod: PodInfo, explain = false, rejections?: TopologyRejections): Outcome {
    if (this.unschedulable) return explain ? 'the node is being disrupted' : REJECTED;
    if (rejections?.rejects(this)) return REJECTED;
    if (!fits(pod.requests, this.remaining)) return explain ? `not enough ${ctx.space.exceeded(pod.requests, this.remaining).join(', ')}` : REJECTED;
    const v = pod.variant;
    const taint = firstUntoleratedTaint(v.tolerations, this.taints, { preferNoSchedule: !v.toleratePreferNoSchedule });
    if (taint) return explain ? `taint ${formatTaint(taint)} is not tolerated` : REJECTED;
    if (v.requirements.size > 0) {
      const why = v.requirements.matchesLabels(this.labels);
      if (why) return explain ? why : REJECTED;
    }
    if (pod.hostPorts.length > 0 && hostPortsConflict(pod.hostPorts, this.hostPorts)) return explain ? 'a host port is taken' : REJECTED;
    const topo = applyTopology(ctx, pod, this.requirements, explain);
    if (typeof topo === 'string') {
      rejections?.note(ctx, pod, this);
      return topo;
    }
    if (!this.#ownRemaining) {
      this.remaining = this.remaining.slice();
      this.#ownRemaining = true;
    }
    subInto(this.remaining, pod.requests);
    if (pod.hostPorts.length > 0) this.#hostPorts = [...this.#hostPorts, ...pod.hostPorts];
    (this.#placed ??= []).push(pod);
    ctx.topology.record({ namespace: pod.namespace, labels: pod.labels, nodeRequirements: this.requirements, taints: this.taints }, ctx.groupsOf(pod).owned);
    return undefined;
  }
}

/** Why a claim cannot take a pod because of its instance types, in words a user can act on. */
function explainTypes(ctx: SlotContext, pool: NodePoolTemplate, types: readonly CompiledInstanceType[], reqs: Requirements, requests: Vec): string {
  const compatible = types.filter((t) => t.requirements.intersects(reqs) === undefined && hasCompatibleOffering(t, reqs));
  if (compatible.length === 0) return `no instance type in nodepool ${pool.name} satisfies ${reqs.toString()}`;
  const space = ctx.space;
  const parts: string[] = [];
  for (let i = 0; i < space.size; i++) {
    let largest = 0;
    for (const t of compatible) largest = Math.max(largest, t.allocatable[i]!);
    if (requests[i]! > largest) {
      const name = space.names[i]!;
      const daemon = pool.daemonOverhead[i]!;
      parts.push(`needs ${formatResourceAmount(name, requests[i]!)} ${name}${daemon > 0 ? ` (with ${formatResourceAmount(name, daemon)} for daemonsets)` : ''} but the largest allowed has ${formatResourceAmount(name, largest)}`);
    }
  }
  // "; " separates the reasons of different NodePools in the solver's message, so not used here.
  if (parts.length > 0) return `no instance type in nodepool ${pool.name} is big enough: ${parts.join(', ')}`;
  return `no single instance type in nodepool ${pool.name} has all of ${space.list(requests) ? Object.entries(space.list(requests)).map(([k, v]) => `${formatResourceAmount(k, v)} ${k}`).join(', ') : ''} at once`;
}

function minValuesProblem(reqs: Requirements, types: readonly CompiledInstanceType[]): string | undefined {
  for (const r of reqs.values()) {
    if (r.minValues === undefined) continue;
    const seen = new Set<string>();
    for (const t of types) for (const v of t.requirements.get(r.key)?.values ?? []) if (r.has(v)) seen.add(v);
    if (seen.size < r.minValues) return `minValues ${r.minValues} for ${r.key} cannot be met: only ${seen.size} value(s) remain`;
  }
  return undefined;
}

/**
 * #typeAllows verdicts per compiled types array of a pool and per text of what they read, by type
 * index: 0 not yet asked, 1 allowed, 2 not. Claims narrow to the same few zones over and over, in
 * one solve and in the next: the compiled types array comes back the same while the pool and its
 * catalogue do (see poolTypes), so each verdict over a thousand types is worked out once, not once
 * per solve. A verdict reads only the type (immutable), the requirements named in the text and
 * whether the pool's labels name each changed key.
 */
const verdictsByTypes = new WeakMap<readonly CompiledInstanceType[], Map<string, Uint8Array>>();
/** Distinct requirement texts kept per types array before it starts over (a long-running controller sees many). */
const VERDICT_TEXTS_LIMIT = 256;

/** Text that tells apart any two requirements whose allowed values differ (minValues aside). */
function requirementText(r: Requirement | undefined): string {
  if (!r) return '-';
  return `${r.complement ? '!' : '='}${r.gt ?? ''}<${r.lt ?? ''}>${JSON.stringify([...r.values].sort())}`;
}

/** Scratch space for filtering instance types; the solver is single-threaded and tryAdd does not re-enter. */
const scratch: CompiledInstanceType[] = [];

/** A new NodeClaim being planned. */
export class ClaimSlot {
  requirements: Requirements;
  readonly requests: Vec;
  readonly pods: PodInfo[] = [];
  readonly hostPorts: HostPort[] = [];
  /** Per-dimension max allocatable over `types`: a quick upper bound before the full filter. */
  #maxAllocatable: Vec;
  readonly #hasMinValues: boolean;
  /** Shared with the caller (never written) until the first type is dropped; then the claim's own. */
  #types: readonly CompiledInstanceType[];
  /**
   * Types are dropped lazily: while pods join without changing the requirements, #types may still
   * hold types too small for `requests` (#stale), and a type that holds `requests` (#witness) is
   * proof enough that the claim is feasible. Requests only grow, so filtering once at the end keeps
   * exactly the types that filtering after every pod would.
   */
  #stale = false;
  #witness: CompiledInstanceType | undefined;
  /** The witness is roomiest(#types, #maxAllocatable), worked out when first needed (many claims never take another pod). */
  #witnessDue = false;

  constructor(
    ctx: SlotContext,
    readonly pool: NodePoolTemplate,
    readonly hostname: string,
    types: readonly CompiledInstanceType[],
  ) {
    this.requirements = pool.requirements.clone().add(Requirement.in(HOSTNAME_LABEL, [hostname]));
    this.#types = types;
    this.requests = pool.daemonOverhead.slice();
    this.#maxAllocatable = ctx.space.zero();
    if (types === pool.instanceTypes) {
      const stats = poolStats(pool);
      this.#maxAllocatable.set(stats.max);
      this.#witness = stats.roomiest;
    } else {
      this.#recomputeMax();
    }
    this.#hasMinValues = [...pool.requirements.values()].some((r) => r.minValues !== undefined);
  }

  get taints(): readonly Taint[] {
    return this.pool.taints;
  }

  /** The instance types that can still hold the claim's requests (and meet its requirements). */
  get types(): readonly CompiledInstanceType[] {
    this.#settle();
    return this.#types;
  }

  /**
   * index.options(pool, requirements, types, limit), without filtering stale types into a new
   * array first: the size filter is applied while picking (same options, same order).
   */
  options(index: OfferingIndex, limit?: number): CompiledOption[] {
    return index.options(this.pool, this.requirements, this.#types, limit, this.#holding());
  }

  /** index.cheapest(pool, requirements, types), likewise without settling the types. */
  cheapest(index: OfferingIndex): CompiledOption | undefined {
    return index.cheapest(this.pool, this.requirements, this.#types, this.#holding());
  }

  /** The size filter #settle would apply, or undefined when the types are settled already. */
  #holding(): Holding | undefined {
    if (!this.#stale) return undefined;
    const stats = poolStats(this.pool);
    return { rows: stats.allocatable, need: this.requests, dims: bindingDims(stats, this.requests) };
  }

  #settle(): void {
    if (!this.#stale) return;
    this.#stale = false;
    const types = this.#types;
    const kept = scratch;
    let n = 0;
    const r = this.requests;
    const dims = r.length;
    // Rows of one flat array: a thousand types' allocatable without chasing a vector per type.
    const stats = poolStats(this.pool);
    const m = stats.allocatable;
    const check = bindingDims(stats, r);
    const nc = check.length;
    // Indexed loops over the types here and below: an unoptimized for-of allocates per element.
    const nt = types.length;
    for (let j = 0; j < nt; j++) {
      const t = types[j]!;
      const row = t.index * dims;
      let ok = true;
      for (let k = 0; k < nc; k++) {
        const d = check[k]!;
        if (m[row + d]! < r[d]!) {
          ok = false;
          break;
        }
      }
      if (ok) kept[n++] = t;
    }
    if (n !== types.length) {
      this.#types = kept.slice(0, n);
      this.#recomputeMax();
    }
  }

  #recomputeMax(): void {
    const m = this.#maxAllocatable;
    m.fill(0);
    const all = poolStats(this.pool).allocatable;
    const dims = m.length;
    const types = this.#types;
    for (let j = 0; j < types.length; j++) {
      const row = types[j]!.index * dims;
      for (let i = 0; i < dims; i++) if (all[row + i]! > m[i]!) m[i] = all[row + i]!;
    }
  }

  /**
   * Checks the pod without placing it: the requirements and instance types the claim would have
   * with it, or undefined when it does not fit.
   */
  probe(ctx: SlotContext, pod: PodInfo): { requirements: Requirements; types: CompiledInstanceType[] } | undefined {
    let result: { requirements: Requirements; types: CompiledInstanceType[] } | undefined;
    this.tryAdd(ctx, pod, false, (requirements, types) => (result = { requirements, types }));
    return result;
  }

  /**
   * Places the pod if some instance type can still hold everything; undefined on success. With
   * `dryRun`, nothing is committed and the would-be requirements and types are passed to it instead.
   */
  tryAdd(ctx: SlotContext, pod: PodInfo, explain = false, dryRun?: (reqs: Requirements, types: CompiledInstanceType[]) => void): Outcome {
    if (!fitsSum(this.requests, pod.requests, this.#maxAllocatable)) {
      if (!explain) return REJECTED;
      this.#settle();
      return explainTypes(ctx, this.pool, this.types, this.requirements, add(this.requests, pod.requests));
    }
    const v = pod.variant;
    const taint = firstUntoleratedTaint(v.tolerations, this.pool.taints, { preferNoSchedule: !v.toleratePreferNoSchedule });
    if (taint) return explain ? `nodepool ${this.pool.name} has taint ${formatTaint(taint)}, which the pod does not tolerate` : REJECTED;
    if (pod.hostPorts.length > 0 && hostPortsConflict(pod.hostPorts, this.hostPorts)) return REJECTED;
    let reqs = this.requirements;
    if (v.requirements.size > 0) {
      const why = reqs.compatible(v.requirements, allowUndefinedWellKnown);
      if (why) return explain ? `incompatible with nodepool ${this.pool.name}: ${why}` : REJECTED;
      reqs = reqs.clone().addAll(v.requirements);
    }
    const topo = applyTopology(ctx, pod, reqs, explain);
    if (typeof topo === 'string') return topo;
    reqs = topo;

    const changed: string[] = [];
    if (reqs !== this.requirements) {
      for (const r of reqs.values()) if (this.requirements.get(r.key) !== r) changed.push(r.key);
    }
    if (!dryRun && !this.#hasMinValues && changed.length === 0 && this.#witnessType() && fitsSum(this.requests, pod.requests, this.#witness!.allocatable)) {
      this.#commit(ctx, pod, reqs);
      this.#stale = true;
      return undefined;
    }
    this.#settle();
    // Filter into a shared scratch array; copy back only once the pod is accepted.
    const types = this.#types;
    const kept = scratch;
    let n = 0;
    const verdicts = changed.length > 0 ? this.#verdicts(reqs, changed) : undefined;
    const need = add(this.requests, pod.requests);
    const check = bindingDims(poolStats(this.pool), need);
    for (let j = 0; j < types.length; j++) {
      const t = types[j]!;
      if (this.#keeps(t, need, check, reqs, changed, verdicts)) kept[n++] = t;
    }
    if (n === 0) {
      return explain ? explainTypes(ctx, this.pool, types, reqs, add(this.requests, pod.requests)) : REJECTED;
    }
    if (this.#hasMinValues || changed.length > 0) {
      const why = minValuesProblem(reqs, kept.slice(0, n));
      if (why) return explain ? `nodepool ${this.pool.name}: ${why}` : REJECTED;
    }
    if (dryRun) {
      dryRun(reqs, kept.slice(0, n));
      return undefined;
    }
    if (n !== types.length) {
      this.#types = kept.slice(0, n);
      this.#recomputeMax();
    }
    // Types and their maximum change only here (and in #settle, which needs #stale, set only on the
    // path that reads the witness), so a witness computed later is the one computed now.
    this.#witness = undefined;
    this.#witnessDue = true;
    this.#commit(ctx, pod, reqs);
    return undefined;
  }

  #witnessType(): CompiledInstanceType | undefined {
    if (this.#witnessDue) {
      this.#witnessDue = false;
      this.#witness = roomiest(this.#types, this.#maxAllocatable);
    }
    return this.#witness;
  }

  #commit(ctx: SlotContext, pod: PodInfo, reqs: Requirements): void {
    this.requirements = reqs;
    addInto(this.requests, pod.requests);
    this.pods.push(pod);
    if (pod.hostPorts.length > 0) this.hostPorts.push(...pod.hostPorts);
    ctx.topology.record({ namespace: pod.namespace, labels: pod.labels, nodeRequirements: reqs, taints: this.pool.taints }, ctx.groupsOf(pod).owned);
  }

  /** Whether type `t` holds `need` (checking the resources in `check`, see bindingDims) and allows `reqs`. */
  #keeps(t: CompiledInstanceType, need: Vec, check: readonly number[], reqs: Requirements, changed: readonly string[], verdicts: Uint8Array | undefined): boolean {
    const all = poolStats(this.pool).allocatable;
    const row = t.index * need.length;
    for (let k = 0; k < check.length; k++) {
      const d = check[k]!;
      if (need[d]! > all[row + d]!) return false;
    }
    if (changed.length === 0 || !verdicts) return true;
    let v = verdicts[t.index]!;
    if (v === 0) verdicts[t.index] = v = this.#typeAllows(t, reqs, changed) ? 1 : 2;
    return v === 1;
  }

  /** The verdict cache for what #typeAllows reads: the changed keys' requirements, zone and capacity type. */
  #verdicts(reqs: Requirements, changed: readonly string[]): Uint8Array {
    const all = this.pool.instanceTypes;
    let byText = verdictsByTypes.get(all);
    if (!byText) verdictsByTypes.set(all, (byText = new Map<string, Uint8Array>()));
    let text = `${requirementText(reqs.get(ZONE_LABEL))}\n${requirementText(reqs.get(CAPACITY_TYPE_LABEL))}`;
    for (const key of changed) text += `\n${key in this.pool.labels ? '+' : '-'}${key}\n${requirementText(reqs.get(key))}`;
    let v = byText.get(text);
    if (!v) {
      if (byText.size >= VERDICT_TEXTS_LIMIT) byText.clear();
      byText.set(text, (v = new Uint8Array(all.length)));
    }
    return v;
  }

  #typeAllows(t: CompiledInstanceType, reqs: Requirements, changed: readonly string[]): boolean {
    let offeringKeys = false;
    for (const key of changed) {
      const r = reqs.get(key)!;
      const tr = t.requirements.get(key);
      if (tr) {
        if (!tr.overlaps(r)) return false;
        if (key === 'topology.kubernetes.io/zone' || key === 'karpenter.sh/capacity-type') offeringKeys = true;
      } else if (isWellKnownLabel(key) && !(key in this.pool.labels)) {
        // The type does not define this well-known label: only "must not be" requirements hold.
        const op = r.operator();
        if (op !== 'NotIn' && op !== 'DoesNotExist') return false;
      }
    }
    return !offeringKeys || hasCompatibleOffering(t, reqs);
  }
}
