/**
 * What SimulationBase carries from one disruption pass to the next, so that building a pass's base
 * costs about what changed since the last one rather than the size of the cluster: what it reads
 * from each pod, the selector index of the movable pods' terms, and per solver node the pods it
 * keeps, its free room and the node the solver sees. Handing over the same kept-pod lists and
 * reduced node objects also lets the solver's own per-object facts carry over (see
 * scheduling/object-facts and scheduling/existing-node-facts).
 *
 * Keys are objects the cluster cache hands out unchanged while what they describe is unchanged and
 * never edits in place (see scheduling/object-facts): a pod, a node's pod list, a solver node (made
 * again whenever its Node, NodeClaim, pods or schedulability change), a label map. Every entry also
 * records what else it was derived from (the selector index, the requests) and is used only when
 * that is the same.
 */
import type { LabelSelector, Pod } from '../../apis/core.js';
import { podHostPorts } from '../../scheduling/host-ports.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import type { ResourceList } from '../../utils/resources.js';
import { addResources, CPU, MEMORY, PODS, subtractResources } from '../../utils/resources.js';
import { carriedIndexes } from '../provisioning/carry-by-identity.js';
import { SelectorIndex } from './selector-index.js';

/**
 * What SimulationBase reads from one pod. Pods made from one template share one object (see
 * podTerms), so a pass reads each distinct set of terms once however many pods carry it.
 */
export interface PodTerms {
  /** The label selectors of its spread constraints and pod (anti-)affinity terms, with their JSON text. */
  readonly selectors: readonly { readonly text: string; readonly selector: LabelSelector }[];
  /** The topology keys of those terms, in the same order. */
  readonly keys: readonly string[];
  /** It has spread constraints, pod affinity or pod anti-affinity (even without terms). */
  readonly topology: boolean;
  /** It has required anti-affinity: the solver must see it wherever it is bound. */
  readonly antiAffinity: boolean;
  /** It claims host ports: the solver must see it wherever it is bound. */
  readonly hostPorts: boolean;
}

function computeTerms(pod: Pod): PodTerms {
  const selectors: { text: string; selector: LabelSelector }[] = [];
  const keys: string[] = [];
  const add = (key: string, selector: LabelSelector | undefined): void => {
    keys.push(key);
    if (selector !== undefined) selectors.push({ text: JSON.stringify(selector), selector }); // absent: matches nothing
  };
  for (const c of pod.spec.topologySpreadConstraints ?? []) add(c.topologyKey, c.labelSelector);
  const a = pod.spec.affinity;
  for (const t of a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(t.topologyKey, t.labelSelector);
  for (const t of a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(t.podAffinityTerm.topologyKey, t.podAffinityTerm.labelSelector);
  for (const t of a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(t.topologyKey, t.labelSelector);
  for (const t of a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(t.podAffinityTerm.topologyKey, t.podAffinityTerm.labelSelector);
  return {
    selectors,
    keys,
    topology: (pod.spec.topologySpreadConstraints?.length ?? 0) > 0 || a?.podAffinity !== undefined || a?.podAntiAffinity !== undefined,
    antiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0,
    hostPorts: podHostPorts(pod).length > 0,
  };
}

const termsByPod = new WeakMap<Pod, PodTerms>();

/** Distinct terms by their text; cleared when it grows past INTERNED (sharing is only an economy). */
const interned = new Map<string, PodTerms>();
const INTERNED = 4096;

/** The pod's terms, worked out once per pod object, and the same object for pods with equal terms. Never mutate it. */
export function podTerms(pod: Pod): PodTerms {
  let t = termsByPod.get(pod);
  if (t === undefined) {
    const own = computeTerms(pod);
    const text = JSON.stringify([own.selectors.map((s) => s.text), own.keys, own.topology, own.antiAffinity, own.hostPorts]);
    t = interned.get(text);
    if (t === undefined) {
      if (interned.size >= INTERNED) interned.clear();
      interned.set(text, (t = own));
    }
    termsByPod.set(pod, t);
  }
  return t;
}

/** What the pods a pass may place bring to its base, together. */
export interface MovableTerms {
  /** Every distinct label selector of their terms, indexed (see selectorIndexOf). */
  readonly selectors: SelectorIndex<true>;
  /** Their topology keys, first-seen order. */
  readonly keys: readonly string[];
  /** Whether any of them has spread constraints, pod affinity or pod anti-affinity. */
  readonly topology: boolean;
}

/** The last selector index made, and the canonical text of its selector set. */
let lastIndex: { readonly text: string; readonly index: SelectorIndex<true> } | undefined;

/**
 * An index of these selectors (JSON text → selector): the last one made when the set of texts is
 * the same, so what is kept per node over it carries over.
 */
function selectorIndexOf(selectors: ReadonlyMap<string, LabelSelector>): SelectorIndex<true> {
  const text = [...selectors.keys()].sort().join('\n'); // JSON text holds no raw newline
  if (lastIndex?.text === text) return lastIndex.index;
  const index = new SelectorIndex<true>();
  for (const selector of selectors.values()) index.add(selector, true);
  lastIndex = { text, index };
  return index;
}

/** Adds the distinct terms of the pods to `into`, first-seen order. */
function addTerms(pods: readonly Pod[], into: Set<PodTerms>): void {
  let previous: PodTerms | undefined;
  for (const pod of pods) {
    const t = podTerms(pod);
    if (t === previous) continue;
    previous = t;
    into.add(t);
  }
}

/** Per lasting pod list (a machine's reschedulable pods), its pods' distinct terms, first-seen order. */
const termsByList = new WeakMap<readonly Pod[], readonly PodTerms[]>();

/**
 * Term sequences by their first term: lists with the same sequence share one array, so that a
 * pass over a thousand lists reads a few arrays (and skips a run of equal ones) rather than one per list.
 */
const sequences = new WeakMap<PodTerms, (readonly PodTerms[])[]>();
/** Sequences kept per first term (sharing is only an economy). */
const SEQUENCES = 64;
const NO_TERMS: readonly PodTerms[] = [];

function internSequence(terms: readonly PodTerms[]): readonly PodTerms[] {
  const first = terms[0];
  if (first === undefined) return NO_TERMS;
  let same = sequences.get(first);
  if (same === undefined) sequences.set(first, (same = []));
  const found = same.find((s) => sameItems(s, terms));
  if (found !== undefined) return found;
  if (same.length >= SEQUENCES) same.length = 0;
  same.push(terms);
  return terms;
}

function listTerms(pods: readonly Pod[]): readonly PodTerms[] {
  let terms = termsByList.get(pods);
  if (terms === undefined) {
    const distinct = new Set<PodTerms>();
    addTerms(pods, distinct);
    termsByList.set(pods, (terms = internSequence([...distinct])));
  }
  return terms;
}

/** Whether two lists hold the same objects in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The last call of movableTerms: its lists, the terms of each lasting list, and its answer. */
let lastMovable: {
  readonly lasting: readonly (readonly Pod[])[];
  readonly lastingTerms: readonly (readonly PodTerms[])[];
  readonly fresh: readonly (readonly Pod[])[];
  readonly terms: MovableTerms;
} | undefined;

/**
 * The terms of the pods a pass may place, read once per distinct set of terms: those of `lasting`
 * (lists the cache hands out again while their pods are the same, such as a machine's
 * reschedulable pods) kept per list, then those of `fresh` (lists made for this pass). The last
 * call's answer when the lasting lists are the same objects and the fresh lists hold the same pods
 * (a validation's base, after its pass's, mostly sees the same pods).
 */
export function movableTerms(lasting: readonly (readonly Pod[])[], ...fresh: (readonly Pod[])[]): MovableTerms {
  const last = lastMovable;
  if (last !== undefined && sameItems(lasting, last.lasting) && last.fresh.length === fresh.length && fresh.every((pods, i) => sameItems(pods, last.fresh[i]!))) return last.terms;
  const lastingTerms = termsOfLists(lasting, last);
  const terms = readTerms(lastingTerms, fresh);
  lastMovable = { lasting: [...lasting], lastingTerms, fresh: fresh.map((pods) => [...pods]), terms }; // copies: the caller's arrays may change
  return terms;
}

/** listTerms of each list: the last call's for a list lined up with the very same list then (see carriedIndexes). */
function termsOfLists(lasting: readonly (readonly Pod[])[], last: typeof lastMovable): (readonly PodTerms[])[] {
  const from = last && carriedIndexes(last.lasting, lasting);
  const out = new Array<readonly PodTerms[]>(lasting.length);
  for (let i = 0; i < lasting.length; i++) {
    const k = from ? from[i]! : -1;
    out[i] = k >= 0 ? last!.lastingTerms[k]! : listTerms(lasting[i]!);
  }
  return out;
}

function readTerms(lastingTerms: readonly (readonly PodTerms[])[], fresh: readonly (readonly Pod[])[]): MovableTerms {
  const distinct = new Set<PodTerms>();
  let previous: readonly PodTerms[] | undefined;
  for (const terms of lastingTerms) {
    // A sequence just added adds nothing again.
    if (terms === previous) continue;
    previous = terms;
    for (const t of terms) distinct.add(t);
  }
  for (const pods of fresh) addTerms(pods, distinct);
  const selectors = new Map<string, LabelSelector>();
  const keys = new Set<string>();
  let topology = false;
  for (const t of distinct) {
    for (const s of t.selectors) if (!selectors.has(s.text)) selectors.set(s.text, s.selector);
    for (const k of t.keys) keys.add(k);
    topology ||= t.topology;
  }
  return { selectors: selectorIndexOf(selectors), keys: [...keys], topology };
}

/** Per pod list of a solver node, the list of its pods the last pass kept. */
const lastKept = new WeakMap<readonly Pod[], Pod[]>();

function sameList(kept: readonly Pod[], previous: readonly Pod[] | undefined): boolean {
  if (previous?.length !== kept.length) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== previous[i]) return false;
  return true;
}

/** `kept` (the pods of `pods` a pass keeps), or the last pass's list object when it holds the same pods. */
export function keptList(pods: readonly Pod[], kept: Pod[]): Pod[] {
  const previous = lastKept.get(pods);
  if (sameList(kept, previous)) return previous!;
  lastKept.set(pods, kept);
  return kept;
}

/** Whether two resource lists hold the same amounts of the same resources. */
export function sameResources(a: ResourceList, b: ResourceList): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const k in b) if (--n < 0 || !(k in a)) return false;
  return n === 0;
}

/** One solver node as a pass's SimulationBase holds it, made by nodeEntry. */
export class NodeEntry {
  /** Free cpu, memory and pod slots as numbers (-Infinity when the node accepts no pods), read per simulation. */
  readonly freeCpu: number;
  readonly freeMemory: number;
  readonly freePods: number;
  /** The last signature made (see signature). */
  #signature: { readonly keyText: string; readonly signature: string } | undefined;
  /** The map the last signature id is from (see signatureId), and that id. */
  #idsOf: Map<string, number> | undefined;
  #id = -1;

  constructor(
    /** The node the solver sees: the snapshot's, or a copy with only the kept pods and the room left for them. */
    readonly node: SolverNode,
    /** Allocatable minus every pod's requests. */
    readonly free: ResourceList,
    /** It keeps pods the solver must see, so it is never left out of a simulation. */
    readonly pinned: boolean,
    /** The topology keys of its pods with required anti-affinity (they count for topology wherever they are). */
    readonly antiKeys: readonly string[],
    /** The selector index it was made over. */
    readonly selectors: SelectorIndex<true>,
    /** The requests it was made with (a later pass's equal list may take its place). */
    public requested: ResourceList | undefined,
  ) {
    const accepts = node.unschedulable !== true;
    this.freeCpu = accepts ? (free[CPU] ?? 0) : -Infinity;
    this.freeMemory = accepts ? (free[MEMORY] ?? 0) : -Infinity;
    this.freePods = accepts ? (free[PODS] ?? 0) : -Infinity;
  }

  /** The node's values for the keys (JSON text `keyText`) and its taints, as text. */
  signature(keys: readonly string[], keyText: string): string {
    if (this.#signature?.keyText !== keyText) this.#signature = { keyText, signature: signatureOf(this.node, keys, keyText) };
    return this.#signature.signature;
  }

  /**
   * Its signature's id in `ids` (signature text → id, added to when new, numbered in order): `ids`
   * must hold signatures for these keys only and never lose one, so the id found is kept for it.
   */
  signatureId(ids: Map<string, number>, keys: readonly string[], keyText: string): number {
    if (this.#idsOf !== ids) {
      const sig = this.signature(keys, keyText);
      let id = ids.get(sig);
      if (id === undefined) ids.set(sig, (id = ids.size));
      this.#idsOf = ids;
      this.#id = id;
    }
    return this.#id;
  }
}

/** Per solver node of a snapshot, the entry the last pass made of it. */
const lastEntry = new WeakMap<SolverNode, NodeEntry>();

/** Whether a pod bound to a node must stay in the solver's view of it. */
function relevant(pod: Pod, selectors: SelectorIndex<true>): boolean {
  const t = podTerms(pod);
  return t.antiAffinity || t.hostPorts || selectors.matchesAny(pod.metadata.labels);
}

function makeEntry(node: SolverNode, requested: ResourceList | undefined, selectors: SelectorIndex<true>, last: NodeEntry | undefined): NodeEntry {
  const kept = keptList(node.pods, node.pods.filter((p) => relevant(p, selectors)));
  const antiKeys: string[] = [];
  for (const p of kept) {
    const t = podTerms(p);
    if (t.antiAffinity) for (const k of t.keys) antiKeys.push(k);
  }
  const pinned = kept.length > 0;
  if (requested === undefined) {
    // No machine view: the pods' requests stand in for its requested resources, and the node is not reduced.
    const free = subtractResources(node.allocatable, addResources(...node.pods.map(safePodRequests)));
    return new NodeEntry(node, free, pinned, antiKeys, selectors, requested);
  }
  const free = subtractResources(node.allocatable, requested);
  if (kept.length === node.pods.length) return new NodeEntry(node, free, pinned, antiKeys, selectors, requested);
  const allocatable = kept.length === 0 ? free : addResources(free, ...kept.map(safePodRequests));
  // The last pass's reduced node when it holds the same pods and room, so the solver's facts of it carry over.
  const reduced = last !== undefined && last.node !== node && last.node.pods === kept && sameResources(last.node.allocatable, allocatable)
    ? last.node
    : { ...node, allocatable, pods: kept };
  return new NodeEntry(reduced, free, pinned, antiKeys, selectors, requested);
}

/**
 * The node as a SimulationBase over `selectors` (the movable pods' selector index) holds it, with
 * `requested` the requests of its machine view (undefined when it has none): the last pass's entry
 * when the node, the index and the requests (by value) are the same.
 */
export function nodeEntry(node: SolverNode, requested: ResourceList | undefined, selectors: SelectorIndex<true>): NodeEntry {
  const last = lastEntry.get(node);
  if (last !== undefined && last.selectors === selectors) {
    if (last.requested === requested) return last;
    if (last.requested !== undefined && requested !== undefined && sameResources(last.requested, requested)) {
      last.requested = requested; // equal: the next pass compares by identity again
      return last;
    }
  }
  const entry = makeEntry(node, requested, selectors, last);
  lastEntry.set(node, entry);
  return entry;
}

/** The names of the last machine list looked up by name, and each name's position (the last machine of that name). */
let lastNames: readonly string[] = [];
let lastPositions: ReadonlyMap<string, number> = new Map();

/**
 * Each machine's position by name (the last one of a name, as a map made from the list would
 * give; -1 for none): made again only when the list's names are not those of the last list, in order.
 */
export function positionsByName(machines: readonly StateNode[]): (name: string) => number {
  let same = machines.length === lastNames.length;
  for (let i = 0; same && i < machines.length; i++) same = machines[i]!.name === lastNames[i];
  if (!same) {
    const positions = new Map<string, number>();
    for (let i = 0; i < machines.length; i++) positions.set(machines[i]!.name, i);
    lastNames = machines.map((m) => m.name);
    lastPositions = positions;
  }
  const positions = lastPositions;
  return (name) => positions.get(name) ?? -1;
}

/** What the last call of nodeEntries was given and made, position by position. */
interface Layout {
  readonly machines: readonly StateNode[];
  readonly nodes: readonly SolverNode[];
  /** Per node, its name (read from this array, the node object is not). */
  readonly names: readonly string[];
  /** Per node, nameHash of its name: telling a dirty name reads no string. */
  readonly hashes: Int32Array;
  readonly selectors: SelectorIndex<true>;
  readonly entries: readonly NodeEntry[];
  /** Each name's view among `machines` when no two have one name, else undefined. */
  readonly byName: Map<string, StateNode> | undefined;
}

let lastLayout: Layout | undefined;

/** A small integer of the name's characters (equal names, equal hashes): a number set holds them without reading strings. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** Each name's view when no two of the views have one name, else undefined. */
function viewsByName(machines: readonly StateNode[]): Map<string, StateNode> | undefined {
  const byName = new Map<string, StateNode>();
  for (const m of machines) {
    if (byName.has(m.name)) return undefined;
    byName.set(m.name, m);
  }
  return byName;
}

/** How a machine list lines up with the last call's (see lineUp). */
interface LineUp {
  /** The names of the views of either list not lined up with the very same view of the other: changed, new or gone. */
  readonly dirty: ReadonlySet<string>;
  /** Each name's view among the new list when no two have one name, else undefined. */
  readonly byName: Map<string, StateNode> | undefined;
}

/**
 * Lines `next` up with `prev` by identity (see carriedIndexes), reading only the views not in both.
 * A name not among the dirty ones has the same views in both lists, in the same order, so its last
 * view is the same object. `byName` (prev's, when it has one) is edited into next's: gone views
 * out, new ones in; it is dropped when a new view's name is taken.
 */
function lineUp(prev: readonly StateNode[], next: readonly StateNode[], byName: Map<string, StateNode> | undefined): LineUp {
  const from = carriedIndexes(prev, next);
  const carried = new Uint8Array(prev.length);
  for (let j = 0; j < next.length; j++) if (from[j]! >= 0) carried[from[j]!] = 1;
  const dirty = new Set<string>();
  for (let k = 0; k < prev.length; k++) {
    if (carried[k] === 1) continue;
    const name = prev[k]!.name;
    dirty.add(name);
    byName?.delete(name);
  }
  for (let j = 0; j < next.length; j++) {
    if (from[j]! >= 0) continue;
    const m = next[j]!;
    dirty.add(m.name);
    if (byName?.has(m.name) === true) byName = undefined;
    byName?.set(m.name, m);
  }
  return { dirty, byName: byName ?? viewsByName(next) };
}

/**
 * nodeEntry for each solver node, with the requests of its machine view (the last of its name
 * among `machines`). A node of the last call (the same object, lined up by identity) whose name
 * no changed, new or gone view has takes the last call's entry: the last view of its name is the
 * same object as then, so are its requests. Only the other nodes are looked up, so a
 * call reads about the nodes and views that changed since the last one: at 1,000 nodes, reading
 * each one again cost more than everything else a base does with it.
 */
export function nodeEntries(machines: readonly StateNode[], nodes: readonly SolverNode[], selectors: SelectorIndex<true>): NodeEntry[] {
  const last = lastLayout?.selectors === selectors ? lastLayout : undefined;
  const lined = last && lineUp(last.machines, machines, last.byName);
  const dirty = lined?.dirty;
  const byName = lined ? lined.byName : viewsByName(machines);
  const nodeFrom = last && carriedIndexes(last.nodes, nodes);
  const names = new Array<string>(nodes.length);
  const hashes = new Int32Array(nodes.length);
  const entries: NodeEntry[] = new Array<NodeEntry>(nodes.length);
  // A name whose hash no dirty name has is not dirty; only a node with such a hash has its name looked up.
  const dirtyHashes = dirty !== undefined && dirty.size > 0 ? new Set([...dirty].map(nameHash)) : undefined;
  let position: ((name: string) => number) | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const k = nodeFrom ? nodeFrom[i]! : -1;
    if (k >= 0) {
      const hash = last!.hashes[k]!;
      const name = last!.names[k]!;
      if (dirtyHashes === undefined || !dirtyHashes.has(hash) || !dirty!.has(name)) {
        names[i] = name;
        hashes[i] = hash;
        entries[i] = last!.entries[k]!;
        continue;
      }
    }
    const node = nodes[i]!;
    names[i] = node.name;
    hashes[i] = nameHash(node.name);
    entries[i] = nodeEntry(node, (byName ? byName.get(node.name) : machines[(position ??= positionsByName(machines))(node.name)])?.requested, selectors);
  }
  lastLayout = { machines, nodes, names, hashes, selectors, entries, byName };
  return entries;
}

/** Per label map, the last signature made of it, with the taints and key list it was made with. */
const lastSignature = new WeakMap<Readonly<Record<string, string>>, { taints: SolverNode['taints']; keys: string; signature: string }>();

/** A node's values for the keys (JSON text `keyText`) and its taints, as text; kept from pass to pass. */
export function signatureOf(n: SolverNode, keys: readonly string[], keyText: string): string {
  const last = lastSignature.get(n.labels);
  if (last?.taints === n.taints && last.keys === keyText) return last.signature;
  const signature = JSON.stringify([keys.map((k) => n.labels[k] ?? null), n.taints]);
  lastSignature.set(n.labels, { taints: n.taints, keys: keyText, signature });
  return signature;
}
