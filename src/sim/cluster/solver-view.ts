/**
 * The existing nodes as the solver should see them for one group of pending pods, built from the
 * node ledger without handing the solver every pod in the cluster.
 *
 * Exactness: the solver sees each node's allocatable reduced by the requests of the pods it is not
 * shown, plus the pods it must see as pods: those the pending pods' inter-pod constraints select
 * (topology spread, pod (anti-)affinity), those that constrain their neighbours (required
 * anti-affinity, host ports) and those placed earlier in the same pass. For pods without inter-pod
 * constraints only nodes that could hold one of them are shown (and every node carrying a pod with
 * required anti-affinity, which repels pods from its whole topology domain); otherwise every node is, not-ready and cordoned ones as unschedulable, since
 * their pods still count for topology. Nodes come least allocated first, so a lone pod lands
 * where kube-scheduler's default LeastAllocated scoring would put it.
 */
import type { LabelSelector, Pod } from '../../apis/core.js';
import { NodeBase, type NodeSubset } from '../../scheduling/node-base.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';
import type { LedgerNode, LedgerPod, NodeLedger } from './node-ledger.js';
import { hasInterPodTerms, hasRequiredAntiAffinity, interPodSelectors } from './pod-facts.js';

/** A pod placed earlier in the pass, not yet in the ledger. */
const NO_PODS: readonly Pod[] = Object.freeze([]);

export interface PlacedPod {
  readonly pod: Pod;
  readonly requests: ResourceList;
}

export interface SolverNodesInput {
  readonly ledger: NodeLedger;
  /** The pending pods of this group, with their requests. */
  readonly pods: readonly PlacedPod[];
  /** Node name → pods placed on it earlier in this pass. */
  readonly placed: ReadonlyMap<string, readonly PlacedPod[]>;
  /**
   * Show every node and every pod (slow, obviously right): the reference the reduced view is
   * tested against.
   */
  readonly showAll?: boolean;
  /** Keeps per-node work between calls while a node's ledger entry is unchanged (see SolverNodeMemo). */
  readonly memo?: SolverNodeMemo;
}

export interface SolverNodesResult {
  /** Not to be changed: a memo hands out the same array again while nothing it shows changed. */
  readonly nodes: readonly SolverNode[];
  /** True when every existing node was shown (some pod had inter-pod constraints). */
  readonly topology: boolean;
}

/**
 * The solver's view for the group (see the module comment). With a memo, what the memo keeps is
 * brought up to date with the nodes that changed since its last call; without one (or with
 * showAll), every node is read afresh.
 */
export function solverNodes(input: SolverNodesInput): SolverNodesResult {
  if (input.memo !== undefined && input.showAll !== true) return input.memo.solverNodes(input.ledger, input.pods, input.placed);
  const { ledger, pods, placed } = input;
  const all = input.showAll === true;
  const { vectors } = distinctRequests(pods);
  const interPod = all || pods.some((p) => pendingFacts(p).interPod);
  const candidates: Candidate[] = [];
  let room = false;
  for (const node of ledger.nodes()) {
    if (node.node === undefined) continue;
    const c = candidate(node, placed.get(node.name), undefined);
    const roomy = c.usable && fitsAny(vectors, c.free);
    if (interPod) room ||= roomy;
    else if (!c.repels && !roomy) continue;
    candidates.push(c);
  }
  // With no room for any pending pod nothing is placed, whatever topology counts: the solver is
  // shown what it is for pods without inter-pod constraints, which places none of them alike.
  const topology = all || (interPod && room);
  const shown = !topology ? NO_SHOWN : all ? everyPod(ledger) : shownPods(ledger, groupSelectors(pods));
  const kept = (topology || !interPod ? candidates : candidates.filter((c) => c.repels)).sort(byScore);
  const nodes = kept.map(({ node }) => toSolverNode(node, shown.get(node.name) ?? NO_LEDGER_PODS, placed.get(node.name) ?? []));
  return { nodes, topology };
}

interface Candidate {
  readonly node: LedgerNode;
  /** Its free room, less what was placed on it earlier in the pass. */
  readonly free: Readonly<Record<string, number>>;
  /** Ready and not cordoned. */
  readonly usable: boolean;
  readonly score: number;
  /** The memo entry it is the candidate of, when nothing was placed on the node this pass. */
  readonly memo: MemoEntry | undefined;
  /** The node holds (or was given this pass) a pod with required anti-affinity. */
  readonly repels: boolean;
}

/** kube-scheduler's node order: most free first (see freeScore), then by name (a total order: names are unique). */
function byScore(a: Candidate, b: Candidate): number {
  return b.score - a.score || (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0);
}

function candidate(node: LedgerNode, earlier: readonly PlacedPod[] | undefined, memo: MemoEntry | undefined): Candidate {
  const free = freeRoom(node, earlier);
  const usable = node.ready && !node.cordoned;
  return {
    node, free, usable, score: usable ? freeScore(node, free) : -1, memo,
    repels: node.antiAffinityPods > 0 || (earlier?.some((p) => hasRequiredAntiAffinity(p.pod)) ?? false),
  };
}

const NO_SHOWN: ReadonlyMap<string, readonly LedgerPod[]> = new Map();

type Selector = PendingFacts['selectors'][number];

/** Node name → every holding pod there. */
function everyPod(ledger: NodeLedger): Map<string, LedgerPod[]> {
  const shown = new Map<string, LedgerPod[]>();
  for (const node of ledger.nodes()) shown.set(node.name, [...node.pods.values()]);
  return shown;
}

/** The pending pods' distinct inter-pod selectors, in the order the pods carry them. */
function groupSelectors(pods: readonly PlacedPod[]): Selector[] {
  const out: Selector[] = [];
  const ids = new Set<string>();
  for (const p of pods) {
    // The pending pods of one workload carry the same selectors: each is taken once (a repeat
    // would select only pods already seen).
    for (const s of pendingFacts(p).selectors) {
      if (ids.has(s.id)) continue;
      ids.add(s.id);
      out.push(s);
    }
  }
  return out;
}

/** Node name → the pods the selectors select there. */
function shownPods(ledger: NodeLedger, selectors: readonly Selector[]): Map<string, LedgerPod[]> {
  const shown = new Map<string, LedgerPod[]>();
  // One selector's pods are distinct; only several selectors may select a pod twice.
  const seen = selectors.length > 1 ? new Set<string>() : undefined;
  for (const { selector } of selectors) {
    for (const lp of ledger.podsSelectedBy(selector)) {
      if (seen !== undefined) {
        if (seen.has(lp.key)) continue;
        seen.add(lp.key);
      }
      let list = shown.get(lp.nodeName);
      if (!list) shown.set(lp.nodeName, (list = []));
      list.push(lp);
    }
  }
  return shown;
}

/**
 * Whether shownPods would answer as it did when the ledger's seq was `seq`: no pod carrying every
 * matchLabels pair of a selector (all pods, for a selector without matchLabels) has joined, left or
 * been relabelled since. The label sets podsSelectedBy walks are then the same sets, walked in the
 * same order.
 */
function selectionUnchanged(ledger: NodeLedger, selectors: readonly Selector[], seq: number): boolean {
  for (const { selector } of selectors) {
    const pairs = Object.entries(selector.matchLabels ?? {});
    if (pairs.length === 0) {
      if (ledger.podsChangedAt > seq) return false;
      continue;
    }
    for (const [k, v] of pairs) if (ledger.labelChangedAt(k, v) > seq) return false;
  }
  return true;
}

const NO_LEDGER_PODS: readonly LedgerPod[] = Object.freeze([]);

/**
 * One node's free room, score and solver nodes, valid for one version of its ledger entry. A pass
 * often alternates a group whose constraints select pods on the node with one that selects none:
 * the node without selected pods is kept apart from the last one with, so neither replaces the other.
 */
class MemoEntry {
  /** The node as a candidate with nothing placed on it this pass. */
  readonly candidate: Candidate;
  #bare: SolverNode | undefined;
  #selected: readonly LedgerPod[] = NO_LEDGER_PODS;
  #shown: SolverNode | undefined;

  constructor(readonly version: number, node: LedgerNode) {
    this.candidate = candidate(node, undefined, this);
  }

  /** The node as toSolverNode makes it with nothing placed, the same object while `selected` is the same pods. */
  solverNode(node: LedgerNode, selected: readonly LedgerPod[]): SolverNode {
    if (selected.length === 0) return (this.#bare ??= toSolverNode(node, NO_LEDGER_PODS, []));
    if (this.#shown === undefined || !samePods(this.#selected, selected)) {
      this.#shown = toSolverNode(node, selected, []);
      this.#selected = selected;
    }
    return this.#shown;
  }
}

/** A member of an Ordered: its candidate, and whether it is usable with room for one of the vectors. */
interface Member {
  readonly candidate: Candidate;
  readonly roomy: boolean;
}

/**
 * The ledger's nodes that a test admits, in byScore order, kept up to date from the ledger's
 * journal: a sync reads only the entries that changed since the last one, and the order is patched
 * where they were and where they go. Without vectors every node is admitted; with them, the nodes
 * that repel or are usable with room for one of them (what solverNodes shows pods without
 * inter-pod constraints).
 */
class Ordered {
  /** The admitted nodes' candidates in byScore order: a new array whenever they change. */
  candidates: readonly Candidate[] = [];
  /** Their solver nodes with no pod shown, in the same order: a new array whenever they change. */
  bare: readonly SolverNode[] = [];
  /** How many members are roomy. */
  roomy = 0;
  readonly #members = new Map<LedgerNode, Member>();
  #ledger: NodeLedger | undefined;
  #position = 0;

  constructor(readonly vectors?: readonly ResourceList[]) {}

  member(node: LedgerNode): Member | undefined {
    return this.#members.get(node);
  }

  /** Brings the members up to date with the ledger (rereading every node for a new ledger or one whose journal no longer reaches back). */
  sync(ledger: NodeLedger, entry: (node: LedgerNode) => MemoEntry): void {
    const changes = this.#ledger === ledger ? ledger.changedSince(this.#position) : undefined;
    this.#ledger = ledger;
    this.#position = ledger.journalEnd;
    if (changes === undefined) {
      this.#members.clear();
      this.roomy = 0;
      const added: Candidate[] = [];
      for (const node of ledger.nodes()) if (node.node !== undefined) this.#admit(entry(node).candidate, added);
      this.#set(added.sort(byScore));
      return;
    }
    if (changes.length === 0) return;
    const seen = new Set<LedgerNode>();
    const dropped: Candidate[] = [];
    const added: Candidate[] = [];
    for (const node of changes) {
      if (seen.has(node)) continue;
      seen.add(node);
      const old = this.#members.get(node);
      if (old !== undefined) {
        dropped.push(old.candidate);
        this.#members.delete(node);
        if (old.roomy) this.roomy--;
      }
      // Forgotten entries are gone; entries without a node are not shown.
      if (ledger.node(node.name) === node && node.node !== undefined) this.#admit(entry(node).candidate, added);
    }
    if (dropped.length === 0 && added.length === 0) return;
    this.#set(patch(this.candidates, dropped.sort(byScore), added.sort(byScore)));
  }

  /** Makes c a member when the test admits it (appending it to `added`). */
  #admit(c: Candidate, added: Candidate[]): void {
    const roomy = this.vectors !== undefined && c.usable && fitsAny(this.vectors, c.free);
    if (this.vectors !== undefined && !roomy && !c.repels) return;
    this.#members.set(c.node, { candidate: c, roomy });
    if (roomy) this.roomy++;
    added.push(c);
  }

  #set(candidates: Candidate[]): void {
    this.candidates = candidates;
    this.bare = candidates.map((c) => c.memo!.solverNode(c.node, NO_LEDGER_PODS));
  }
}

/** `base` (in byScore order) without `drop` (some of its elements, in its order) and with `add` (in byScore order) merged in. */
function patch(base: readonly Candidate[], drop: readonly Candidate[], add: readonly Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  let d = 0;
  let a = 0;
  for (const c of base) {
    if (d < drop.length && drop[d] === c) {
      d++;
      continue;
    }
    while (a < add.length && byScore(add[a]!, c) < 0) out.push(add[a++]!);
    out.push(c);
  }
  while (a < add.length) out.push(add[a++]!);
  return out;
}

/**
 * What solverNodes works out per node, kept between calls (a scheduler's passes) and brought up
 * to date from the ledger's journal, so that a call costs what changed since the last plus what it
 * shows: per node entry version, its free room, score and solver node, handed to the solver as the
 * same object (and pod list) so what the solver derives per node and per pod list is reused too;
 * per group's request vectors, the nodes shown to pods without inter-pod constraints, in order;
 * every node in order; the pods a group's selectors select, while none of them changed. Serves one
 * ledger at a time (another ledger's call rereads every node).
 */
export class SolverNodeMemo {
  readonly #entries = new WeakMap<LedgerNode, MemoEntry>();
  /** By the group's selector ids: shownPods' last answer and the ledger seq it was made at. */
  readonly #shown = new Map<string, { readonly seq: number; readonly map: Map<string, LedgerPod[]> }>();
  /** By request vectors' key (see distinctRequests): the nodes that repel or have room for one of them. */
  readonly #roomy = new Map<string, Ordered>();
  readonly #every = new Ordered();
  /** The last topology answer without placed pods, and what it was made of. */
  #lastTopology: { readonly candidates: readonly Candidate[]; readonly shown: ReadonlyMap<string, readonly LedgerPod[]>; readonly nodes: readonly SolverNode[] } | undefined;
  readonly #entry = (node: LedgerNode): MemoEntry => {
    let e = this.#entries.get(node);
    if (e?.version !== node.version) this.#entries.set(node, (e = new MemoEntry(node.version, node)));
    return e;
  };

  /** solverNodes with this memo (see solverNodes). */
  solverNodes(ledger: NodeLedger, pods: readonly PlacedPod[], placed: ReadonlyMap<string, readonly PlacedPod[]>): SolverNodesResult {
    const { vectors, key } = distinctRequests(pods);
    const roomy = this.#roomyFor(key, vectors);
    roomy.sync(ledger, this.#entry);
    // Nodes given pods earlier in the pass are shown as they are now, not as the memo keeps them.
    const fresh: Candidate[] = [];
    const replaced: Candidate[] = [];
    let room = roomy.roomy;
    for (const [name, earlier] of placed) {
      const node = ledger.node(name);
      if (node?.node === undefined) continue;
      const c = candidate(node, earlier, undefined);
      fresh.push(c);
      const m = roomy.member(node);
      if (m?.roomy === true) room--;
      if (c.usable && fitsAny(vectors, c.free)) room++;
    }
    fresh.sort(byScore);
    if (!pods.some((p) => pendingFacts(p).interPod)) {
      if (fresh.length === 0) return { nodes: roomy.bare, topology: false };
      for (const c of fresh) {
        const m = roomy.member(c.node);
        if (m !== undefined) replaced.push(m.candidate);
      }
      const admitted = fresh.filter((c) => c.repels || (c.usable && fitsAny(vectors, c.free)));
      return { nodes: shownAs(patch(roomy.candidates, replaced.sort(byScore), admitted), NO_SHOWN, placed), topology: false };
    }
    if (room === 0) {
      // Room nowhere: what is shown is what pods without inter-pod constraints are shown, which place none.
      for (const c of fresh) {
        const m = roomy.member(c.node);
        if (m !== undefined) replaced.push(m.candidate);
      }
      const kept = patch(roomy.candidates, replaced.sort(byScore), fresh).filter((c) => c.repels);
      return { nodes: shownAs(kept, NO_SHOWN, placed), topology: false };
    }
    this.#every.sync(ledger, this.#entry);
    const shown = this.shown(ledger, pods);
    if (fresh.length === 0) return { nodes: this.#topology(shown), topology: true };
    for (const c of fresh) {
      const m = this.#every.member(c.node);
      if (m !== undefined) replaced.push(m.candidate);
    }
    return { nodes: shownAs(patch(this.#every.candidates, replaced.sort(byScore), fresh), shown, placed), topology: true };
  }

  /** Every node with the pods `shown` shows, the same array as last time while neither changed. */
  #topology(shown: ReadonlyMap<string, readonly LedgerPod[]>): readonly SolverNode[] {
    const last = this.#lastTopology;
    const candidates = this.#every.candidates;
    if (last?.candidates === candidates && last.shown === shown) return last.nodes;
    const nodes = shownAs(candidates, shown, NO_PLACED);
    this.#lastTopology = { candidates, shown, nodes };
    return nodes;
  }

  #roomyFor(key: string, vectors: readonly ResourceList[]): Ordered {
    let o = this.#roomy.get(key);
    if (o === undefined) {
      if (this.#roomy.size >= VECTORS_KEPT) this.#roomy.clear();
      this.#roomy.set(key, (o = new Ordered(vectors)));
    }
    return o;
  }

  /**
   * shownPods for the group's selectors, the same map (and lists) as last time while the pods
   * they may select are unchanged: a pass after pass of a group waiting for room selects the same
   * pods, and the same lists keep the same solver nodes (MemoEntry.solverNode).
   */
  shown(ledger: NodeLedger, pods: readonly PlacedPod[]): Map<string, LedgerPod[]> {
    const selectors = groupSelectors(pods);
    const key = selectors.map((s) => s.id).join('\n');
    const hit = this.#shown.get(key);
    if (hit !== undefined && selectionUnchanged(ledger, selectors, hit.seq)) return hit.map;
    const map = shownPods(ledger, selectors);
    if (this.#shown.size >= SHOWN_KEPT) this.#shown.clear();
    this.#shown.set(key, { seq: ledger.seq, map });
    return map;
  }
}

const NO_PLACED: ReadonlyMap<string, readonly PlacedPod[]> = new Map();

/** The candidates' solver nodes with the pods `shown` shows (and those placed earlier in the pass, for the nodes given some). */
function shownAs(candidates: readonly Candidate[], shown: ReadonlyMap<string, readonly LedgerPod[]>, placed: ReadonlyMap<string, readonly PlacedPod[]>): SolverNode[] {
  return candidates.map(({ node, memo }) => {
    const selected = shown.get(node.name) ?? NO_LEDGER_PODS;
    return memo ? memo.solverNode(node, selected) : toSolverNode(node, selected, placed.get(node.name) ?? []);
  });
}

/** Request vectors SolverNodeMemo keeps the roomy nodes of (a pass has a group per priority). */
const VECTORS_KEPT = 64;

/** Selections SolverNodeMemo keeps (a pass has a group per priority; a cluster a few workloads with inter-pod terms). */
const SHOWN_KEPT = 16;

function samePods(a: readonly LedgerPod[], b: readonly LedgerPod[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toSolverNode(node: LedgerNode, selected: readonly LedgerPod[], placed: readonly PlacedPod[]): SolverNode {
  const real: LedgerPod[] = [...selected];
  if (node.constrainingPods > 0) {
    const have = new Set(real.map((p) => p.key));
    for (const p of node.pods.values()) if (p.constrains && !have.has(p.key)) real.push(p);
  }
  // Allocatable less what the hidden pods request: the solver adds back what it is shown.
  const allocatable: Record<string, number> = { ...node.allocatable };
  for (const name in node.requested) allocatable[name] = (allocatable[name] ?? 0) - node.requested[name]!;
  for (const p of real) for (const name in p.requests) allocatable[name] = (allocatable[name] ?? 0) + p.requests[name]!;
  return {
    name: node.name,
    labels: node.labels,
    taints: node.taints,
    allocatable,
    // One shared empty list: the solver keeps what it derives from a node's pod list per list object.
    pods: real.length === 0 && placed.length === 0 ? NO_PODS : [...real.map((p) => p.pod), ...placed.map((p) => p.pod)],
    unschedulable: !node.ready || node.cordoned,
  };
}

function freeRoom(node: LedgerNode, placed: readonly PlacedPod[] | undefined): Record<string, number> {
  const free: Record<string, number> = { ...node.allocatable };
  for (const name in node.requested) free[name] = (free[name] ?? 0) - node.requested[name]!;
  for (const p of placed ?? []) for (const name in p.requests) free[name] = (free[name] ?? 0) - p.requests[name]!;
  return free;
}

/** kube-scheduler's LeastAllocated score: the mean free fraction of cpu and memory. */
function freeScore(node: LedgerNode, free: Readonly<Record<string, number>>): number {
  let sum = 0;
  let n = 0;
  for (const r of ['cpu', 'memory']) {
    const total = node.allocatable[r] ?? 0;
    if (total <= 0) continue;
    sum += Math.max(0, free[r] ?? 0) / total;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

function fitsAny(requests: readonly ResourceList[], free: Readonly<Record<string, number>>): boolean {
  for (const request of requests) if (fits(request, free)) return true;
  return false;
}

function fits(request: ResourceList, free: Readonly<Record<string, number>>): boolean {
  for (const name in request) {
    const amount = request[name]!;
    if (amount > 0 && amount > (free[name] ?? 0)) return false;
  }
  return true;
}

/**
 * The pods' request lists, each content once (or a few times, when listed in another key order),
 * and their contents in order as one string: equal keys, lists that fit the same nodes.
 */
function distinctRequests(pods: readonly PlacedPod[]): { vectors: ResourceList[]; key: string } {
  const byKey = new Map<string, ResourceList>();
  for (const p of pods) {
    const key = pendingFacts(p).requestsKey;
    if (!byKey.has(key)) byKey.set(key, p.requests);
  }
  return { vectors: [...byKey.values()], key: [...byKey.keys()].join('\n') };
}

/** What solverNodes reads of a pending pod, derived once per pod object: a pod waits through many passes. */
interface PendingFacts {
  readonly interPod: boolean;
  /** interPodSelectors, each with its JSON (equal selectors, equal ids). */
  readonly selectors: readonly { readonly id: string; readonly selector: LabelSelector }[];
  /** The requests' names and amounts, in their order. */
  readonly requestsKey: string;
}

const pendingByPod = new WeakMap<Pod, PendingFacts>();

/** The pending pod's facts (its requests are taken to be what they always are for this pod object). */
function pendingFacts(p: PlacedPod): PendingFacts {
  let f = pendingByPod.get(p.pod);
  if (f === undefined) {
    let requestsKey = '';
    for (const name in p.requests) requestsKey += `${name}=${p.requests[name]},`;
    const selectors = interPodSelectors(p.pod).map((selector) => ({ id: JSON.stringify(selector), selector }));
    pendingByPod.set(p.pod, (f = { interPod: hasInterPodTerms(p.pod), selectors, requestsKey }));
  }
  return f;
}

/**
 * The last NodeBase made for a scheduler's solves, reused while the nodes it is asked for are
 * some of its nodes, in its order (the same node objects): what the solver derives from the nodes
 * is then derived once for several solves. Passes that bind nothing, and the groups of a pass
 * that come after one that placed nothing, solve over the same nodes again.
 */
export class SolverNodeBase {
  #base: NodeBase | undefined;

  /** The nodes as a subset of the kept base, or of a new base made of them (then kept). */
  subset(nodes: readonly SolverNode[]): NodeSubset {
    const base = this.#base;
    // The memo hands out the same array while nothing it shows changed.
    if (base?.nodes === nodes) return base.all();
    const keep = base && subsequence(base.nodes, nodes);
    if (base && keep) return { base, keep };
    this.#base = new NodeBase(nodes, base);
    return this.#base.all();
  }
}

/** Which of `all` make up `some` when `some` is `all` with some left out (same objects, same order). */
function subsequence(all: readonly SolverNode[], some: readonly SolverNode[]): Uint8Array | undefined {
  if (some.length > all.length) return undefined;
  const keep = new Uint8Array(all.length);
  let j = 0;
  for (let i = 0; i < all.length && j < some.length; i++) {
    if (all[i] !== some[j]) continue;
    keep[i] = 1;
    j++;
  }
  return j === some.length ? keep : undefined;
}

