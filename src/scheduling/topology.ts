/**
 * All topology groups of one solve (see topology-group.ts), keyed by term identity, and the
 * domains of each key with the taints of the nodes and pools that provide them.
 */
import type { Taint } from '../apis/core.js';
import type { PodInfo, TopologyTerm } from './pod-constraints.js';
import { TopologyGroup, type NodePlacement, type Placement } from './topology-group.js';

export { TopologyGroup, type NodePlacement, type Placement } from './topology-group.js';

/** Same taints in the same order (as tolerations read them: key, value, effect). */
export function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key !== y.key || (x.value ?? '') !== (y.value ?? '') || x.effect !== y.effect) return false;
  }
  return true;
}

/**
 * The pods of a set of existing nodes as topology counts them: recordInto(g) must leave g as
 * g.recordNode of each node, in order, would.
 */
export interface ExistingCounts {
  recordInto(g: TopologyGroup): void;
}

/** All topology groups of one solve, keyed by term identity, plus the domains of each key. */
export class Topology {
  readonly #groups = new Map<string, TopologyGroup>();
  readonly #byKey = new Map<string, TopologyGroup[]>();
  /** key → domain → the taint sets of the nodes and pools that provide it. */
  readonly #domains = new Map<string, Map<string, (readonly Taint[])[]>>();
  readonly #antiGroups: TopologyGroup[] = [];
  /**
   * Every placement so far, replayed into groups created late (a relaxed pod's new spread identity):
   * the existing nodes (all recorded before the first pod is placed), then the pods placed.
   */
  readonly #nodeSources: ExistingCounts[] = [];
  readonly #log: Placement[] = [];

  /** The group for a term, created on first use with every known domain of its key. */
  group(term: TopologyTerm, owner?: PodInfo): TopologyGroup {
    let g = this.#groups.get(term.identity);
    if (!g) {
      g = new TopologyGroup(term);
      if (owner) {
        g.ownerRequirements = owner.variant.requirements;
        g.ownerTolerations = owner.variant.tolerations;
      }
      for (const [d, taints] of this.#domains.get(term.key) ?? []) g.registerDomain(d, taints);
      for (let i = 0; i < this.#nodeSources.length; i++) this.#nodeSources[i]!.recordInto(g);
      for (let i = 0; i < this.#log.length; i++) g.record(this.#log[i]!);
      this.#groups.set(term.identity, g);
      let list = this.#byKey.get(term.key);
      if (!list) this.#byKey.set(term.key, (list = []));
      list.push(g);
      if (term.kind === 'anti-affinity' && term.required) this.#antiGroups.push(g);
    }
    return g;
  }

  get groups(): IterableIterator<TopologyGroup> {
    return this.#groups.values();
  }

  /** Groups of required anti-affinity terms: their owners repel the pods they select. */
  get antiAffinityGroups(): readonly TopologyGroup[] {
    return this.#antiGroups;
  }

  /**
   * Makes a domain of a key known (a zone an instance type offers, a new node's hostname), with the
   * taints of the node or pool that provides it.
   */
  registerDomain(key: string, domain: string, taints: readonly Taint[] = []): void {
    let byDomain = this.#domains.get(key);
    if (!byDomain) this.#domains.set(key, (byDomain = new Map<string, (readonly Taint[])[]>()));
    let sets = byDomain.get(domain);
    if (!sets) byDomain.set(domain, (sets = []));
    // Nodes hand in a taints array each; most are alike (often empty), and the groups read only
    // what the taints say, so a domain keeps one set per content, not one per node.
    for (let i = 0; i < sets.length; i++) if (sameTaints(sets[i]!, taints)) return;
    sets.push(taints);
    for (const g of this.#byKey.get(key) ?? []) g.registerDomain(domain, sets);
  }

  /** Records an existing node's pods in every group that counts them (their own terms are recorded apart). */
  recordNode(p: NodePlacement): void {
    this.recordExisting({ recordInto: (g) => g.recordNode(p) });
  }

  /**
   * Records existing nodes' pods, whose counts come from elsewhere (see ExistingCounts), before any
   * pod is recorded (groups made later replay them first).
   */
  recordExisting(source: ExistingCounts): void {
    this.#nodeSources.push(source);
    for (const g of this.#groups.values()) source.recordInto(g);
  }

  /** Records a placed pod in every group that counts it; owners of anti-affinity terms too. */
  record(p: Placement, ownedGroups?: readonly TopologyGroup[]): void {
    this.#log.push(p);
    for (const g of this.#groups.values()) g.record(p);
    if (ownedGroups) for (const g of ownedGroups) if (g.term.kind === 'anti-affinity' && g.term.required) g.recordOwner(p.nodeRequirements);
  }
}
