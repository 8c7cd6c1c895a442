/**
 * Topology groups: one per distinct spread constraint or pod (anti-)affinity term, counting the
 * pods its selector matches in each domain of its key. Given a candidate node's requirement on the
 * key, a group answers which domains the pod may take there; after a placement every group that
 * counts the pod records it. Inverse anti-affinity (an existing pod's anti-affinity rejecting a
 * newcomer) is tracked by the owners' domains.
 */
import type { Taint } from '../apis/core.js';
import { HOSTNAME_KEY, type PodInfo, type TopologyTerm } from './pod-constraints.js';
import type { PodListTopology } from './pod-list-topology.js';
import { Requirement, type Requirements } from './requirements.js';
import { firstUntoleratedTaint } from './taints.js';

/** Where a pod sits (or will sit), as the topology sees it. */
export interface Placement {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The node's requirements (labels of an existing node as single values; a claim's narrowed set). */
  readonly nodeRequirements: Requirements;
  readonly taints: readonly Taint[];
}

/**
 * The pods already on an existing node, recorded at once: as recording a Placement per pod. The
 * node's requirements are its labels (one value per key).
 */
export interface NodePlacement {
  readonly pods: PodListTopology;
  readonly nodeRequirements: Requirements;
  readonly taints: readonly Taint[];
}

export class TopologyGroup {
  /** domain → pods matched by the selector. */
  readonly counts = new Map<string, number>();
  /** anti-affinity only: domain → pods that own this term (for the inverse check). */
  readonly ownerDomains = new Map<string, number>();
  /** The first owner's requirements and tolerations, for spread node filters. */
  ownerRequirements: Requirements | undefined;
  ownerTolerations: PodInfo['variant']['tolerations'] = [];

  /**
   * Spread with nodeTaintsPolicy Honor: the domains that have a node (or a pool) whose taints the
   * owner tolerates; only they count towards the minimum. Undefined: every domain counts.
   */
  readonly #eligible: Set<string> | undefined;

  constructor(readonly term: TopologyTerm) {
    this.#eligible = term.kind === 'spread' && term.honorNodeTaints ? new Set() : undefined;
  }

  get key(): string {
    return this.term.key;
  }

  /** Whether a pod in this namespace with these labels is counted by the selector. */
  selects(namespace: string, labels: Readonly<Record<string, string>>): boolean {
    const ns = this.term.namespaces;
    return (ns === null || ns.has(namespace)) && this.term.selector(labels);
  }

  // The last node-affinity verdict: a node's pods are recorded one after another with the node's
  // requirements object, and placed requirements are never narrowed in place (claims replace theirs).
  #affinityOwner: Requirements | undefined;
  #affinityNode: Requirements | undefined;
  #affinityOk = false;

  /** Spread node filters: whether pods on this node count, and whether the node's domain exists for the owner. */
  nodeCounts(nodeRequirements: Requirements, taints: readonly Taint[]): boolean {
    if (this.term.kind !== 'spread') return true;
    const owner = this.ownerRequirements;
    if (this.term.honorNodeAffinity && owner) {
      if (owner !== this.#affinityOwner || nodeRequirements !== this.#affinityNode) {
        this.#affinityOwner = owner;
        this.#affinityNode = nodeRequirements;
        // The verdict is symmetric: walk the owner's few keys, not the node's many labels.
        this.#affinityOk = nodeRequirements.intersects(owner) === undefined;
      }
      if (!this.#affinityOk) return false;
    }
    if (this.term.honorNodeTaints && firstUntoleratedTaint(this.ownerTolerations, taints) !== undefined) return false;
    return true;
  }

  /** Makes a domain known, with the taints of the nodes or pools that provide it. */
  registerDomain(domain: string, taintSets: readonly (readonly Taint[])[]): void {
    this.#version++;
    if (!this.counts.has(domain)) this.counts.set(domain, 0);
    if (this.#eligible && !this.#eligible.has(domain)) {
      if (taintSets.some((t) => firstUntoleratedTaint(this.ownerTolerations, t) === undefined)) this.#eligible.add(domain);
    }
  }

  /** Records a placement's domains (all possible ones for anti-affinity, only a decided one otherwise). */
  record(p: Placement): void {
    if (!this.selects(p.namespace, p.labels)) return;
    this.#count(p.nodeRequirements, p.taints, 1);
  }

  /** Records an existing node's pods: as record() for each of them. */
  recordNode(p: NodePlacement): void {
    const n = p.pods.selected(this);
    if (n === 0) return;
    const d = this.nodeDomain(p);
    if (d !== undefined) this.addNodeCount(d, n);
  }

  /**
   * The domain recordNode counts an existing node's pods in (undefined: none): the node's value of
   * the key, when the group counts pods on that node.
   */
  nodeDomain(p: NodePlacement): string | undefined {
    if (!this.nodeCounts(p.nodeRequirements, p.taints)) return undefined;
    const r = p.nodeRequirements.get(this.key);
    if (!r || r.complement || r.values.size !== 1) return undefined;
    return r.values.values().next().value!;
  }

  /** Counts n more pods of existing nodes in the domain: recordNode's effect for a node nodeDomain names. */
  addNodeCount(domain: string, n: number): void {
    this.#version++;
    this.counts.set(domain, (this.counts.get(domain) ?? 0) + n);
  }

  #count(nodeRequirements: Requirements, taints: readonly Taint[], n: number): void {
    if (!this.nodeCounts(nodeRequirements, taints)) return;
    const r = nodeRequirements.get(this.key);
    if (!r) return;
    this.#version++;
    if (this.term.kind === 'anti-affinity') {
      for (const d of possibleDomains(r, this.counts)) this.counts.set(d, (this.counts.get(d) ?? 0) + n);
    } else if (!r.complement && r.values.size === 1) {
      const d = r.values.values().next().value!;
      this.counts.set(d, (this.counts.get(d) ?? 0) + n);
    }
  }

  recordOwner(nodeRequirements: Requirements): void {
    const r = nodeRequirements.get(this.key);
    if (!r) return;
    for (const d of possibleDomains(r, this.counts)) this.ownerDomains.set(d, (this.ownerDomains.get(d) ?? 0) + 1);
  }

  /**
   * The domains a pod owning this term may take on a node whose requirement on the key is
   * `nodeDomains`: an In requirement (possibly empty, meaning nowhere).
   */
  allowed(pod: PodInfo, nodeDomains: Requirement): Requirement {
    const podDomains = pod.variant.requirements.get(this.key) ?? Requirement.exists(this.key);
    switch (this.term.kind) {
      case 'spread':
        return this.#nextSpread(pod, this.term.honorNodeAffinity ? podDomains : Requirement.exists(this.key), nodeDomains);
      case 'affinity':
        return this.#nextAffinity(pod, podDomains, nodeDomains);
      case 'anti-affinity':
        return this.#nextAnti(podDomains, nodeDomains);
    }
  }

  /** The domains a pod selected by this (anti-affinity) term's owners may take: none where owners are. */
  allowedInverse(nodeDomains: Requirement): Requirement {
    if (this.ownerDomains.size === 0) return nodeDomains;
    if (!nodeDomains.complement) {
      const out: string[] = [];
      for (const d of nodeDomains.values) if (!this.ownerDomains.get(d)) out.push(d);
      return Requirement.in(this.key, out);
    }
    const excluded: string[] = [];
    for (const [d, n] of this.ownerDomains) if (n > 0) excluded.push(d);
    return nodeDomains.intersect(Requirement.fromSelector(this.key, 'NotIn', excluded));
  }

  /** Bumped whenever counts or eligible domains change: #minCount's answer holds until then. */
  #version = 0;
  #minVersion = -1;
  #minDomains: Requirement | undefined;
  #min = 0;

  #minCount(podDomains: Requirement): number {
    // A new node is always a new, empty hostname domain.
    if (this.key === HOSTNAME_KEY) return 0;
    // First fit asks for every slot it tries a pod on; the counts change only when a pod is placed.
    if (this.#minVersion === this.#version && this.#minDomains === podDomains) return this.#min;
    this.#min = this.#computeMin(podDomains);
    this.#minVersion = this.#version;
    this.#minDomains = podDomains;
    return this.#min;
  }

  #computeMin(podDomains: Requirement): number {
    let min = Infinity;
    let supported = 0;
    // Keys, not entries: an unoptimized entries loop allocates a pair per domain, every spread pod.
    for (const d of this.counts.keys()) {
      if (!podDomains.has(d) || (this.#eligible && !this.#eligible.has(d))) continue;
      supported++;
      const n = this.counts.get(d)!;
      if (n < min) min = n;
    }
    if (this.term.minDomains !== undefined && supported < this.term.minDomains) return 0;
    return min === Infinity ? 0 : min;
  }

  // Whether the selector counts the last pod asked about: first fit asks for one pod slot after slot.
  #selfPod: PodInfo | undefined;
  #self = 0;

  #nextSpread(pod: PodInfo, podDomains: Requirement, nodeDomains: Requirement): Requirement {
    const min = this.#minCount(podDomains);
    if (pod !== this.#selfPod) {
      this.#selfPod = pod;
      this.#self = this.selects(pod.namespace, pod.labels) ? 1 : 0;
    }
    const self = this.#self;
    const maxSkew = this.term.maxSkew;
    let best: string | undefined;
    let bestCount = Infinity;
    // No closure for the candidate test: this runs for every spread pod on every slot it tries,
    // and a closure made per call costs more than the test.
    if (!nodeDomains.complement) {
      for (const d of nodeDomains.values) {
        const n = this.counts.get(d);
        if (n === undefined || !podDomains.has(d)) continue;
        const c = n + self;
        if (c - min <= maxSkew && (c < bestCount || (c === bestCount && best !== undefined && d < best))) {
          best = d;
          bestCount = c;
        }
      }
    } else {
      for (const [d, n] of this.counts) {
        if (!nodeDomains.has(d) || !podDomains.has(d)) continue;
        const c = n + self;
        if (c - min <= maxSkew && (c < bestCount || (c === bestCount && best !== undefined && d < best))) {
          best = d;
          bestCount = c;
        }
      }
    }
    return this.#single(best);
  }

  /** In [domain] (In [] for undefined), one shared instance each: requirements are immutable. */
  readonly #singles = new Map<string | undefined, Requirement>();

  #single(domain: string | undefined): Requirement {
    let r = this.#singles.get(domain);
    if (!r) this.#singles.set(domain, (r = Requirement.in(this.key, domain === undefined ? [] : [domain])));
    return r;
  }

  #nextAffinity(pod: PodInfo, podDomains: Requirement, nodeDomains: Requirement): Requirement {
    const options: string[] = [];
    for (const [d, n] of this.counts) if (n > 0 && podDomains.has(d)) options.push(d);
    if (options.length === 0 && this.selects(pod.namespace, pod.labels)) {
      // Nothing to be near yet and the pod selects itself: it may start anywhere it can go,
      // preferring the candidate node's own domain.
      const both = podDomains.intersect(nodeDomains);
      const start = firstDomain(both, this.counts) ?? firstDomain(podDomains, this.counts);
      if (start !== undefined) options.push(start);
    }
    return Requirement.in(this.key, options);
  }

  #nextAnti(podDomains: Requirement, nodeDomains: Requirement): Requirement {
    const options: string[] = [];
    const counts = this.counts;
    if (!nodeDomains.complement) {
      for (const d of nodeDomains.values) if (counts.has(d) && podDomains.has(d) && !counts.get(d)) options.push(d);
    } else {
      for (const d of counts.keys()) if (nodeDomains.has(d) && podDomains.has(d) && !counts.get(d)) options.push(d);
    }
    return Requirement.in(this.key, options);
  }
}

function possibleDomains(r: Requirement, known: ReadonlyMap<string, number>): string[] {
  if (!r.complement) return [...r.values];
  const out: string[] = [];
  for (const d of known.keys()) if (r.has(d)) out.push(d);
  return out;
}

function firstDomain(r: Requirement, known: ReadonlyMap<string, number>): string | undefined {
  if (!r.complement) {
    let best: string | undefined;
    for (const d of r.values) if (known.has(d) && (best === undefined || d < best)) best = d;
    return best;
  }
  let best: string | undefined;
  for (const d of known.keys()) if (r.has(d) && (best === undefined || d < best)) best = d;
  return best;
}
