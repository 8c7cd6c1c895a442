/**
 * The solver's view of a list of existing nodes, derived once and shared by solves over subsets of
 * it. A disruption pass runs thousands of simulations over the same few hundred nodes, each
 * leaving out one or a few of them; deriving each node's facts, the domains the nodes provide per
 * topology key, which of them hold required anti-affinity, and how many of their pods each
 * topology term counts per domain, once per simulation, was most of what a simulation's solve cost.
 *
 * Everything a subset gets from the base is what a solve over the subset's nodes alone would
 * derive, in the same order: the solve is the same, only cheaper. The nodes are treated as
 * immutable (see existing-node-facts).
 */
import type { Taint, Toleration } from '../apis/core.js';
import type { ResourceList } from '../utils/resources.js';
import { existingNodeFacts, type ExistingNodeFacts } from './existing-node-facts.js';
import type { ResourceSpace, Vec } from './resource-space.js';
import { NodeSlot } from './slots.js';
import { firstUntoleratedTaint } from './taints.js';
import { sameTaints, type ExistingCounts, type Topology, type TopologyGroup } from './topology.js';
import type { TopologyTerm } from './pod-constraints.js';
import type { SolverNode } from './types.js';

/** A topology key's value on each node, as small ids (-1: no label). */
interface KeyDomains {
  readonly ids: Int32Array;
  readonly values: readonly string[];
}

/**
 * What a term counts on the nodes: per node holding pods it counts (in order), its domain (an index
 * into `values`, the distinct domains) and how many.
 */
interface TermCounts {
  readonly nodes: Int32Array;
  readonly domains: Int32Array;
  readonly values: readonly string[];
  readonly counts: Int32Array;
}

/**
 * A key's distinct pairs of domain and taint class (what Topology registers once), in order of
 * their first node: per pair, the nodes that have it, in order.
 */
type DomainPairs = readonly Int32Array[];

/** Node's required anti-affinity terms, or what deriving them threw. */
interface NodeAnti {
  readonly node: number;
  readonly terms: readonly TopologyTerm[] | undefined;
  readonly error?: unknown;
}

/** Term counts remembered per base; a pass's pods carry few distinct terms. */
const TERMS_PER_BASE = 64;
/** Least-requests vectors whose roomy nodes a base remembers (a pass's pods come in a few sizes). */
const ROOMY_PER_BASE = 16;

/**
 * Small ids for strings in order of first appearance, where a string may also come as its id in a
 * previous list of strings (a node carried over from a previous base): that id is mapped once.
 */
class Interner {
  readonly values: string[] = [];
  readonly #index = new Map<string, number>();
  /** Per previous id: its id here, or -1 before it is first seen. */
  readonly #remap: Int32Array;

  constructor(readonly previousValues: readonly string[]) {
    this.#remap = new Int32Array(previousValues.length).fill(-1);
  }

  id(value: string): number {
    let id = this.#index.get(value);
    if (id === undefined) {
      this.#index.set(value, (id = this.values.length));
      this.values.push(value);
    }
    return id;
  }

  carried(previousId: number): number {
    let id = this.#remap[previousId]!;
    if (id < 0) id = this.#remap[previousId] = this.id(this.previousValues[previousId]!);
    return id;
  }
}

/** A list of existing nodes prepared for many solves over subsets of it (see the module comment). */
export class NodeBase {
  readonly nodes: readonly SolverNode[];
  readonly facts: readonly ExistingNodeFacts[];
  /** The distinct resource-name records of the nodes' facts (see ExistingNodeFacts.names), first-seen order. */
  readonly #records: ResourceList[];
  /** Per node, the index of its facts' names record in #records. */
  readonly #recordOf: Int32Array;
  /** Every resource name of the nodes (made on first use: see namesRegistered). */
  #names: readonly string[] | undefined;
  /** The layout #remaining and #free are in (see useLayout). */
  #layout: string | undefined;
  #size = 0;
  /** Per node, its remaining vector in #layout (filled as nodes are asked about: see remaining). */
  #remaining: (Vec | undefined)[] = [];
  /** The same entries, one node after another, for the slot test. */
  #free = new Float64Array(0);
  /** Per node, 1 when it accepts new pods (it is not unschedulable). */
  readonly accepting: Uint8Array;
  /** Per node, 1 when it holds pods. */
  readonly #podded: Uint8Array;
  /** The nodes that hold pods, in order (the only ones a term can count). */
  readonly #withPods: Int32Array;
  readonly #domains = new Map<string, KeyDomains>();
  #taintClass: Int32Array | undefined;
  /** Per taint class (see taintClasses): the taints of its first node. */
  #classTaints: readonly (readonly Taint[])[] = [];
  #anti: readonly NodeAnti[] | undefined;
  /** Per group key (see countKey): what its term counts on the nodes. */
  readonly #termCounts = new Map<string, TermCounts>();
  readonly #pairs = new Map<string, DomainPairs>();
  /** Per node, its slot in #layout (made on first use: see slot). */
  #slots: (NodeSlot | undefined)[] = [];
  /** By a least-requests vector's text: the nodes roomyNodes answers for it in #layout. */
  readonly #roomy = new Map<string, Int32Array>();

  /**
   * The base this one was made after (see the constructor), while this one may still carry from it,
   * and per node the index of the same node object there (-1: none).
   */
  #previous: NodeBase | undefined;
  #from: Int32Array | undefined;
  /** Node object → index (built on first use, for a later base's lookups). */
  #indexes: Map<SolverNode, number> | undefined;

  /**
   * `nodes` are never changed once handed to a base (SolverNode's fields are readonly; a node that
   * changes is a new object). `previous`: a base of mostly the same node objects (the last
   * disruption pass's): what this base derives per node is taken from there for the same node
   * objects instead of derived again, without reading the node (being the same object, it is the
   * same node). Only one base back is kept: `previous` stops carrying.
   *
   * `lineup`, when the caller knows it (one entry per node): per node, the index of the very same
   * node object in `previous.nodes`, or -1 to derive it afresh. It replaces finding each node in
   * `previous` (a lookup table of all its nodes once any node is new or gone). An entry naming
   * another object counts as -1 (one pointer test), so a wrong lineup only derives more afresh;
   * either way the base equals one made without `previous`.
   */
  constructor(nodes: readonly SolverNode[], previous?: NodeBase, lineup?: Int32Array) {
    this.nodes = nodes;
    const count = nodes.length;
    // One pass over the nodes: a base is built per plain solve and per disruption pass, so a node
    // carried over costs a few reads of the previous base's arrays (in order) and no read of the
    // node object, its facts or its pods.
    const facts = new Array<ExistingNodeFacts>(count);
    const accepting = new Uint8Array(count);
    const podded = new Uint8Array(count);
    const recordOf = new Int32Array(count);
    const records: ResourceList[] = [];
    const recordIds = new Map<ResourceList, number>();
    const withPods: number[] = [];
    const from = previous ? new Int32Array(count) : undefined;
    // Per record index in the previous base: its index here (-1 before it is first seen).
    const recordRemap = previous ? new Int32Array(previous.#records.length).fill(-1) : undefined;
    if (previous) {
      previous.#previous = undefined;
      previous.#from = undefined;
    }
    const lined = previous !== undefined && lineup !== undefined && lineup.length === count ? lineup : undefined;
    // Where the next node most likely is in the previous base: after the last one found there.
    let hint = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      let j = -1;
      if (lined) {
        j = lined[i]!;
        if (j >= 0 && previous!.nodes[j] !== n) j = -1;
        from![i] = j;
      } else if (previous) {
        j = previous.#indexOf(n, hint);
        // A node replaced by another object of its name keeps its place: the next one follows it.
        if (j >= 0) hint = j + 1;
        else if (previous.nodes[hint]?.name === n.name) hint++;
        from![i] = j;
      }
      if (j >= 0) {
        const p = previous!;
        facts[i] = p.facts[j]!;
        accepting[i] = p.accepting[j]!;
        podded[i] = p.#podded[j]!;
        const r = p.#recordOf[j]!;
        let mapped = recordRemap![r]!;
        if (mapped < 0) mapped = recordRemap![r] = recordIndex(records, recordIds, p.#records[r]!);
        recordOf[i] = mapped;
      } else {
        const f = existingNodeFacts(n);
        facts[i] = f;
        accepting[i] = n.unschedulable === true ? 0 : 1;
        podded[i] = n.pods.length > 0 ? 1 : 0;
        recordOf[i] = recordIndex(records, recordIds, f.names);
      }
      if (podded[i] === 1) withPods.push(i);
    }
    this.facts = facts;
    this.accepting = accepting;
    this.#podded = podded;
    this.#withPods = Int32Array.from(withPods);
    this.#records = records;
    this.#recordOf = recordOf;
    this.#previous = previous;
    this.#from = from;
  }

  /**
   * The index of node object n, or -1. `hint` first: a base made after this one mostly holds its
   * nodes in the same order, and another object of n's name there means n is not here (names are
   * unique in a list of nodes; were they not, a -1 only derives the node's facts afresh).
   */
  #indexOf(n: SolverNode, hint: number): number {
    const at = this.nodes[hint];
    if (at === n) return hint;
    if (at !== undefined && at.name === n.name) return -1;
    if (!this.#indexes) {
      this.#indexes = new Map();
      for (let i = 0; i < this.nodes.length; i++) this.#indexes.set(this.nodes[i]!, i);
    }
    return this.#indexes.get(n) ?? -1;
  }

  /** All the nodes. */
  all(): NodeSubset {
    return { base: this, keep: new Uint8Array(this.nodes.length).fill(1) };
  }

  /** Starts a solve's layout (the frozen space's names joined, interned): what remaining answers is in it. */
  useLayout(space: ResourceSpace, layout: string): void {
    if (layout === this.#layout) return;
    this.#layout = layout;
    this.#size = space.size;
    this.#remaining = new Array<Vec | undefined>(this.nodes.length);
    this.#free = new Float64Array(this.nodes.length * space.size);
    this.#slots = new Array<NodeSlot | undefined>(this.nodes.length);
    this.#roomy.clear();
    this.#carryRemaining();
  }

  /**
   * Takes the remaining vectors the previous base made in this layout for the same node objects
   * (they are the same vectors), and their packed entries: a new least-requests vector then tests
   * those nodes on #free alone (see #findRoomy).
   */
  #carryRemaining(): void {
    const previous = this.#previous;
    if (previous === undefined || previous.#layout !== this.#layout) return;
    const from = this.#from!;
    const size = this.#size;
    const remaining = this.#remaining;
    const free = this.#free;
    const carried = previous.#remaining;
    const carriedFree = previous.#free;
    for (let i = 0; i < from.length; i++) {
      const j = from[i]!;
      if (j < 0) continue;
      const v = carried[j];
      if (v === undefined) continue;
      remaining[i] = v;
      for (let d = 0, at = i * size, was = j * size; d < size; d++, at++, was++) free[at] = carriedFree[was]!;
    }
  }

  /**
   * The nodes that accept new pods and have at least `least` of every resource left, in order, for
   * the layout of useLayout (remembered per vector: a pass's simulations ask for a few vectors, each
   * many times). Only when the space holds every resource name of the nodes (namesRegistered).
   */
  roomyNodes(least: Vec, space: ResourceSpace): Int32Array {
    const key = least.join(',');
    let out = this.#roomy.get(key);
    if (out === undefined) {
      out = Int32Array.from(this.#findRoomy(least, space, this.#carriedRoomy(key)));
      if (this.#roomy.size >= ROOMY_PER_BASE) this.#roomy.clear();
      this.#roomy.set(key, out);
    }
    return out;
  }

  /**
   * Per node of the previous base, 1 when its roomy list for `key` holds it, if the previous base
   * is in this layout and has that list: a node carried over has the same remaining vector there.
   */
  #carriedRoomy(key: string): Uint8Array | undefined {
    const previous = this.#previous;
    if (previous === undefined || previous.#layout !== this.#layout) return undefined;
    const list = previous.#roomy.get(key);
    if (list === undefined) return undefined;
    const roomy = new Uint8Array(previous.nodes.length);
    for (let k = 0; k < list.length; k++) roomy[list[k]!] = 1;
    return roomy;
  }

  /** roomyNodes' list: a node carried over is roomy as it was in the previous base (`carried`), any other is tested. */
  #findRoomy(least: Vec, space: ResourceSpace, carried: Uint8Array | undefined): number[] {
    const list: number[] = [];
    const size = this.#size;
    const from = carried ? this.#from! : undefined;
    next: for (let i = 0; i < this.nodes.length; i++) {
      const j = from ? from[i]! : -1;
      if (j >= 0) {
        if (carried![j] === 1) list.push(i);
        continue;
      }
      if (this.accepting[i] !== 1) continue;
      this.remaining(i, space);
      const free = this.#free;
      // fits(least, remaining) on the packed copy.
      for (let d = 0, at = i * size; d < size; d++, at++) if (least[d]! > free[at]!) continue next;
      list.push(i);
    }
    return list;
  }

  /**
   * Node i's slot for a solve in the layout of useLayout: made on first use, reset for every later
   * solve (a disruption pass would otherwise make hundreds of slots per simulation). A solve holds
   * its slots only while it runs, and solves do not nest, so no two solves share a slot.
   */
  slot(i: number, space: ResourceSpace): NodeSlot {
    let slot = this.#slots[i];
    if (slot === undefined) {
      const n = this.nodes[i]!;
      const f = this.facts[i]!;
      slot = this.#slots[i] = new NodeSlot(n.name, f.labels, n.taints, this.remaining(i, space), n.inFlight ?? false, false, f.hostPorts);
    } else {
      slot.reset();
    }
    return slot;
  }

  /**
   * Node i's allocatable minus its pods' requests in the layout of useLayout (shared, never write
   * it). Only for nodes whose resource names are all in the space.
   */
  remaining(i: number, space: ResourceSpace): Vec {
    let v = this.#remaining[i];
    if (v === undefined) {
      v = this.#remaining[i] = this.facts[i]!.remaining(space, this.#layout!);
      this.#free.set(v, i * this.#size);
    }
    return v;
  }

  /** The remaining vectors packed, node after node: valid for the nodes remaining was asked about. */
  get free(): Float64Array {
    return this.#free;
  }

  /**
   * Registers the resource-name records of the nodes `keep` marks, each once, in order of its first
   * such node: registering a record again adds nothing, so the names come in the order (and a frozen
   * space throws at the name) registering every kept node's record in node order would give, read
   * from the per-node record indexes instead of each node's facts.
   */
  registerRecords(space: ResourceSpace, keep: Uint8Array): void {
    const records = this.#records;
    const recordOf = this.#recordOf;
    const seen = new Uint8Array(records.length);
    let left = records.length;
    for (let i = 0; i < keep.length && left > 0; i++) {
      if (keep[i] !== 1) continue;
      const r = recordOf[i]!;
      if (seen[r] === 1) continue;
      seen[r] = 1;
      left--;
      space.register(records[r]!);
    }
  }

  /** Whether the space already holds every resource name of the nodes. */
  namesRegistered(space: ResourceSpace): boolean {
    const names = (this.#names ??= [...new Set(this.#records.flatMap((r) => Object.keys(r)))]);
    for (let i = 0; i < names.length; i++) if (!space.has(names[i]!)) return false;
    return true;
  }

  /** The key's value on each node, as ids (built on first use). */
  domains(key: string): KeyDomains {
    let d = this.#domains.get(key);
    if (!d) {
      const ids = new Int32Array(this.nodes.length);
      // A node carried over has the same labels: its id there stands for its value.
      const previous = this.#previous === undefined ? undefined : this.#previous.#domains.get(key);
      const from = previous ? this.#from : undefined;
      const interner = new Interner(previous?.values ?? []);
      for (let i = 0; i < this.nodes.length; i++) {
        const j = from ? from[i]! : -1;
        if (j >= 0) {
          const id = previous!.ids[j]!;
          ids[i] = id < 0 ? -1 : interner.carried(id);
          continue;
        }
        const v = this.nodes[i]!.labels[key];
        ids[i] = v === undefined ? -1 : interner.id(v);
      }
      this.#domains.set(key, (d = { ids, values: interner.values }));
    }
    return d;
  }

  /** The key's domain pairs (see DomainPairs; built on first use). */
  domainPairs(key: string): DomainPairs {
    let pairs = this.#pairs.get(key);
    if (!pairs) {
      const { ids, values } = this.domains(key);
      const classes = this.taintClasses();
      const classCount = this.#classTaints.length;
      // Per pair (domain id × class count + class): its index in order of first node (-1: none yet).
      const indexOf = new Int32Array(values.length * classCount).fill(-1);
      // Per node: its pair's index (-1: no domain); per pair index: how many nodes.
      const pairOf = new Int32Array(ids.length);
      const sizes: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (ids[i]! < 0) {
          pairOf[i] = -1;
          continue;
        }
        const p = ids[i]! * classCount + classes[i]!;
        let k = indexOf[p]!;
        if (k < 0) {
          k = indexOf[p] = sizes.length;
          sizes.push(0);
        }
        sizes[k]!++;
        pairOf[i] = k;
      }
      const lists = sizes.map((size) => new Int32Array(size));
      const filled = new Int32Array(sizes.length);
      for (let i = 0; i < ids.length; i++) {
        const k = pairOf[i]!;
        if (k >= 0) lists[k]![filled[k]!++] = i;
      }
      pairs = lists;
      this.#pairs.set(key, pairs);
    }
    return pairs;
  }

  /**
   * Per node, an id of its taints' content (as Topology compares taint sets), ids in order of
   * first node. A node carried over has the same taints: its class there, matched here once per
   * class, stands for them.
   */
  taintClasses(): Int32Array {
    if (!this.#taintClass) {
      const classes = new Int32Array(this.nodes.length);
      // One taint array per class; most nodes have none, and few classes exist.
      const seen: (readonly Taint[])[] = [];
      const previous = this.#previous !== undefined && this.#previous.#taintClass !== undefined ? this.#previous : undefined;
      const from = previous ? this.#from! : undefined;
      // Per class of the previous base: its id here (-1 before its first node).
      const remap = previous ? new Int32Array(previous.#classTaints.length).fill(-1) : undefined;
      for (let i = 0; i < this.nodes.length; i++) {
        const j = from ? from[i]! : -1;
        if (j >= 0) {
          const c = previous!.#taintClass![j]!;
          let id = remap![c]!;
          if (id < 0) id = remap![c] = taintClass(seen, previous!.#classTaints[c]!);
          classes[i] = id;
          continue;
        }
        classes[i] = taintClass(seen, this.nodes[i]!.taints);
      }
      this.#taintClass = classes;
      this.#classTaints = seen;
    }
    return this.#taintClass;
  }

  /** Per taint class (see taintClasses): the taints of its first node. */
  classTaints(): readonly (readonly Taint[])[] {
    this.taintClasses();
    return this.#classTaints;
  }

  /** The nodes whose pods have required anti-affinity (or whose terms do not compile), in order. */
  antiNodes(): readonly NodeAnti[] {
    if (!this.#anti) {
      const out: NodeAnti[] = [];
      // A node carried over has the same facts: its entry there (or none) stands.
      const previous = this.#previous === undefined ? undefined : this.#previous.#anti;
      const from = previous ? this.#from! : undefined;
      let entryOf: Int32Array | undefined;
      if (previous) {
        entryOf = new Int32Array(this.#previous!.nodes.length).fill(-1);
        for (let k = 0; k < previous.length; k++) entryOf[previous[k]!.node] = k;
      }
      for (let i = 0; i < this.facts.length; i++) {
        const j = from ? from[i]! : -1;
        if (j >= 0) {
          const e = entryOf![j]!;
          if (e >= 0) out.push({ ...previous![e]!, node: i });
          continue;
        }
        try {
          const terms = this.facts[i]!.pods.antiTerms;
          if (terms.length > 0) out.push({ node: i, terms });
        } catch (error) {
          out.push({ node: i, terms: undefined, error });
        }
      }
      this.#anti = out;
    }
    return this.#anti;
  }

  /** What the group's term counts on the nodes (cached per term and what its node filter reads). */
  termCounts(g: TopologyGroup): TermCounts {
    const key = countKey(g);
    let c = this.#termCounts.get(key);
    if (c === undefined) {
      c = this.#countTerm(g, key);
      if (this.#termCounts.size >= TERMS_PER_BASE) this.#termCounts.clear();
      this.#termCounts.set(key, c);
    }
    return c;
  }

  #countTerm(g: TopologyGroup, key: string): TermCounts {
    const withPods = this.#withPods;
    // At most one entry per node holding pods: filled up to `count`, then cut to it.
    const nodes = new Int32Array(withPods.length);
    const domains = new Int32Array(withPods.length);
    const counts = new Int32Array(withPods.length);
    let count = 0;
    // What a term counts on a node depends only on the node's facts and the group key: a node
    // carried over counts what it counted there (nothing when it had no entry).
    const previous = this.#previous === undefined ? undefined : this.#previous.#termCounts.get(key);
    const from = previous ? this.#from : undefined;
    let entryOf: Int32Array | undefined;
    if (previous) {
      entryOf = new Int32Array(this.#previous!.nodes.length).fill(-1);
      for (let k = 0; k < previous.nodes.length; k++) entryOf[previous.nodes[k]!] = k;
    }
    const interner = new Interner(previous?.values ?? []);
    for (let k = 0; k < withPods.length; k++) {
      const i = withPods[k]!;
      const j = from ? from[i]! : -1;
      if (j >= 0) {
        const e = entryOf![j]!;
        if (e < 0) continue;
        nodes[count] = i;
        domains[count] = interner.carried(previous!.domains[e]!);
        counts[count++] = previous!.counts[e]!;
        continue;
      }
      const p = this.facts[i]!.placement;
      const n = p.pods.selected(g);
      if (n === 0) continue;
      const d = g.nodeDomain(p);
      if (d === undefined) continue;
      nodes[count] = i;
      domains[count] = interner.id(d);
      counts[count++] = n;
    }
    return { nodes: nodes.subarray(0, count), domains: domains.subarray(0, count), values: interner.values, counts: counts.subarray(0, count) };
  }
}

/**
 * Where each node of a new list is in an earlier list of nodes: per new node, the index of the
 * very same node object in `nodes`, or -1 (see the NodeBase constructor's `lineup`).
 */
export interface NodeLineup {
  readonly nodes: readonly SolverNode[];
  readonly from: Int32Array;
}

/**
 * Bases made one after another over mostly the same node objects (a provisioner's rounds), each
 * made after the last so it carries what that one derived.
 */
export class NodeBaseChain {
  #last: NodeBase | undefined;

  /**
   * A base of `nodes`, made after the last one this chain made. `lineup`: the caller's lineup of
   * `nodes` with the list it was made of, used only when that is the last base's very node array
   * (the chain may have made no base of it, or one of another list since).
   */
  next(nodes: readonly SolverNode[], lineup?: NodeLineup): NodeBase {
    const last = this.#last;
    const from = lineup !== undefined && last !== undefined && last.nodes === lineup.nodes ? lineup.from : undefined;
    return (this.#last = new NodeBase(nodes, last, from));
  }
}

/** The index of record `names` in `records` (`ids` maps them to it), added at the end when new. */
function recordIndex(records: ResourceList[], ids: Map<ResourceList, number>, names: ResourceList): number {
  let id = ids.get(names);
  if (id === undefined) {
    ids.set(names, (id = records.length));
    records.push(names);
  }
  return id;
}

/** The id of `taints`' content among the classes `seen` (one taints array each), added at the end when new. */
function taintClass(seen: (readonly Taint[])[], taints: readonly Taint[]): number {
  let id = 0;
  while (id < seen.length && !sameTaints(seen[id]!, taints)) id++;
  if (id === seen.length) seen.push(taints);
  return id;
}

/** Nodes of a base: those whose `keep` entry is 1, in base order. */
export interface NodeSubset {
  readonly base: NodeBase;
  readonly keep: Uint8Array;
}

/** What a group's counts on existing nodes depend on: its term, and the owner its spread node filter reads. */
function countKey(g: TopologyGroup): string {
  const t = g.term;
  if (t.kind !== 'spread') return t.identity;
  // The spread identity holds the owner's requirements when the filter reads them.
  const owner = t.honorNodeAffinity && g.ownerRequirements !== undefined ? '1' : '0';
  return `${t.identity}\n${owner}\n${t.honorNodeTaints ? JSON.stringify(g.ownerTolerations) : ''}`;
}

/** Registers the subset's resource names, as registering each node's names in order would. */
export function registerNodeResources(space: ResourceSpace, s: NodeSubset): void {
  if (s.base.namesRegistered(space)) return;
  s.base.registerRecords(space, s.keep);
}

/**
 * Registers each subset node's domain of each key, with its taints, in node order. Registering a
 * domain again with equal taints does nothing, so only the first subset node of each domain pair
 * registers: those are found pair by pair (a subset leaves out few nodes) and registered in node order.
 */
export function registerNodeDomains(topology: Topology, s: NodeSubset, keys: readonly string[]): void {
  const { keep, base } = s;
  for (const key of keys) {
    const { ids, values } = base.domains(key);
    const pairs = base.domainPairs(key);
    const firsts = new Int32Array(pairs.length);
    let found = 0;
    let sorted = true;
    for (let p = 0; p < pairs.length; p++) {
      const nodes = pairs[p]!;
      let k = 0;
      while (k < nodes.length && keep[nodes[k]!] !== 1) k++;
      if (k === nodes.length) continue;
      if (found > 0 && nodes[k]! < firsts[found - 1]!) sorted = false;
      firsts[found++] = nodes[k]!;
    }
    const order = sorted ? firsts.subarray(0, found) : firsts.subarray(0, found).sort();
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      topology.registerDomain(key, values[ids[i]!]!, base.nodes[i]!.taints);
    }
  }
}

/**
 * The subset nodes' required anti-affinity terms, with the node of each, in order.
 * @throws what deriving a subset node's terms threw.
 */
export function nodeAntiTerms(s: NodeSubset): { term: TopologyTerm; node: number }[] {
  const out: { term: TopologyTerm; node: number }[] = [];
  for (const a of s.base.antiNodes()) {
    if (s.keep[a.node] !== 1) continue;
    if (!a.terms) throw a.error;
    for (const term of a.terms) out.push({ term, node: a.node });
  }
  return out;
}

/** The subset's pods as topology counts them (Topology.recordExisting). */
export function existingCounts(s: NodeSubset): ExistingCounts {
  const { base, keep } = s;
  return {
    recordInto(g: TopologyGroup): void {
      const c = base.termCounts(g);
      // Summed per domain, then added in order of each domain's first node: the same counts, and
      // the same order of domains new to the group, as adding node by node.
      const sums = new Int32Array(c.values.length);
      const order: number[] = [];
      for (let k = 0; k < c.nodes.length; k++) {
        if (keep[c.nodes[k]!] !== 1) continue;
        const d = c.domains[k]!;
        if (sums[d] === 0) order.push(d);
        sums[d] = sums[d]! + c.counts[k]!;
      }
      for (let k = 0; k < order.length; k++) g.addNodeCount(c.values[order[k]!]!, sums[order[k]!]!);
    },
  };
}

/**
 * Per taint class of the base (see NodeBase.taintClasses), 1 when each of `tolerations` leaves a
 * NoSchedule or NoExecute taint of the class untolerated; undefined when no class is. A pod's
 * rungs share its tolerations and only add tolerance of PreferNoSchedule taints, so a node of such
 * a class takes no pod with any of these tolerations, on any rung.
 */
export function refusedTaintClasses(base: NodeBase, tolerations: readonly (readonly Toleration[])[]): Uint8Array | undefined {
  const classes = base.classTaints();
  let refused: Uint8Array | undefined;
  for (let c = 0; c < classes.length; c++) {
    const taints = classes[c]!;
    if (taints.length === 0) continue;
    let all = true;
    for (let k = 0; k < tolerations.length && all; k++) if (firstUntoleratedTaint(tolerations[k], taints) === undefined) all = false;
    if (all) (refused ??= new Uint8Array(classes.length))[c] = 1;
  }
  return refused;
}

/**
 * Slots for the subset nodes some pod may still fit (accepting pods, with `least` room, and not of
 * a taint class `refused` marks: see refusedTaintClasses), in node order: requests never shrink,
 * so a node short of what every pod asks for rejects each of them, as a node whose taints each pod
 * refuses does. First fit then never visits them (at a thousand nodes, hundreds may still carry a
 * starting node's taint).
 */
export function nodeSlots(s: NodeSubset, space: ResourceSpace, layout: string, least: Vec, refused?: Uint8Array): NodeSlot[] {
  const { base, keep } = s;
  base.useLayout(space, layout);
  const out: NodeSlot[] = [];
  const classes = refused === undefined ? undefined : base.taintClasses();
  if (base.namesRegistered(space)) {
    // Every node's remaining vector can be made in this space: the base's list for `least`, filtered.
    const roomy = base.roomyNodes(least, space);
    for (let k = 0; k < roomy.length; k++) {
      const i = roomy[k]!;
      if (keep[i] === 1 && (classes === undefined || refused![classes[i]!] !== 1)) out.push(base.slot(i, space));
    }
    return out;
  }
  const free = base.free;
  const accepting = base.accepting;
  const size = space.size;
  next: for (let i = 0; i < keep.length; i++) {
    if (keep[i] !== 1 || accepting[i] !== 1) continue;
    if (classes !== undefined && refused![classes[i]!] === 1) continue;
    base.remaining(i, space);
    // fits(least, remaining) on the packed copy: no node object read for a node that cannot take a pod.
    for (let d = 0, at = i * size; d < size; d++, at++) if (least[d]! > free[at]!) continue next;
    out.push(base.slot(i, space));
  }
  return out;
}
