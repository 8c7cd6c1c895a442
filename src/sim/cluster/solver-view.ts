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
import { carriedIndexes } from '../../controllers/provisioning/carry-by-identity.js';
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
 * The pods of one node that shownPods would list there, in its order, found among the node's pods
 * alone (see NodeLedger.podsSelectedOn).
 */
function selectedOn(ledger: NodeLedger, node: LedgerNode, selectors: readonly Selector[]): readonly LedgerPod[] {
  if (selectors.length === 0 || node.pods.size === 0) return NO_LEDGER_PODS;
  if (selectors.length === 1) return ledger.podsSelectedOn(node, selectors[0]!.selector);
  const out: LedgerPod[] = [];
  const seen = new Set<string>();
  for (const { selector } of selectors) {
    for (const lp of ledger.podsSelectedOn(node, selector)) {
      if (seen.has(lp.key)) continue;
      seen.add(lp.key);
      out.push(lp);
    }
  }
  return out;
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

/** A member of an Ordered: its candidate, whether it is usable with room for one of the vectors, and its solver node. */
interface Member {
  readonly candidate: Candidate;
  readonly roomy: boolean;
  readonly solver: SolverNode;
}

const NO_SELECTORS: readonly Selector[] = [];

/**
 * The ledger's nodes that a test admits, in byScore order, with the pods some selectors select on
 * them, kept up to date from the ledger's journal: a sync reads only the entries that changed
 * since the last one (a node's selected pods change only with its entry), and the order is
 * patched where they were and where they go. Without vectors every node is admitted; with them,
 * the nodes that repel or are usable with room for one of them (what solverNodes shows pods
 * without inter-pod constraints).
 */
class Ordered {
  /** The members in byScore order: a new array whenever they change. */
  members: readonly Member[] = [];
  /** Their solver nodes, in the same order: a new array whenever they change. */
  nodes: readonly SolverNode[] = [];
  /** How many members are roomy. */
  roomy = 0;
  readonly #byNode = new Map<LedgerNode, Member>();
  #ledger: NodeLedger | undefined;
  #position = 0;

  constructor(readonly vectors: readonly ResourceList[] | undefined, readonly selectors: readonly Selector[]) {}

  member(node: LedgerNode): Member | undefined {
    return this.#byNode.get(node);
  }

  /** Brings the members up to date with the ledger (rereading every node for a new ledger or one whose journal no longer reaches back). */
  sync(ledger: NodeLedger, entry: (node: LedgerNode) => MemoEntry): void {
    const changes = this.#ledger === ledger ? ledger.changedSince(this.#position) : undefined;
    this.#ledger = ledger;
    this.#position = ledger.journalEnd;
    if (changes === undefined) {
      this.#byNode.clear();
      this.roomy = 0;
      const added: Member[] = [];
      for (const node of ledger.nodes()) if (node.node !== undefined) this.#admit(ledger, entry(node), added);
      const members = added.sort(byMemberScore);
      this.#set({ members, nodes: members.map((m) => m.solver) });
      return;
    }
    if (changes.length === 0) return;
    const seen = new Set<LedgerNode>();
    const dropped: Member[] = [];
    const added: Member[] = [];
    for (const node of changes) {
      if (seen.has(node)) continue;
      seen.add(node);
      const old = this.#byNode.get(node);
      if (old !== undefined) {
        dropped.push(old);
        this.#byNode.delete(node);
        if (old.roomy) this.roomy--;
      }
      // Forgotten entries are gone; entries without a node are not shown.
      if (ledger.node(node.name) === node && node.node !== undefined) this.#admit(ledger, entry(node), added);
    }
    if (dropped.length === 0 && added.length === 0) return;
    this.#set(patch(this, dropped.sort(byMemberScore), added.sort(byMemberScore)));
  }

  /** Makes the entry's node a member when the test admits it (appending it to `added`). */
  #admit(ledger: NodeLedger, e: MemoEntry, added: Member[]): void {
    const c = e.candidate;
    const roomy = this.vectors !== undefined && c.usable && fitsAny(this.vectors, c.free);
    if (this.vectors !== undefined && !roomy && !c.repels) return;
    const m = { candidate: c, roomy, solver: e.solverNode(c.node, selectedOn(ledger, c.node, this.selectors)) };
    this.#byNode.set(c.node, m);
    if (roomy) this.roomy++;
    added.push(m);
  }

  #set(to: Listed): void {
    this.members = to.members;
    this.nodes = to.nodes;
  }

  /**
   * The members' solver nodes with the nodes given pods earlier in the pass shown as they are now
   * (`fresh`: their candidates, in byScore order), fresh ones that `keep` refuses left out. Every
   * member left passes `keep` already: the test the members were admitted by, or, when no node
   * has room (room counted with the fresh nodes), that it repels.
   */
  withPlaced(ledger: NodeLedger, fresh: readonly Candidate[], placed: ReadonlyMap<string, readonly PlacedPod[]>, keep: (c: Candidate) => boolean): readonly SolverNode[] {
    const replaced: Member[] = [];
    const added: Member[] = [];
    for (const c of fresh) {
      const m = this.#byNode.get(c.node);
      if (m !== undefined) replaced.push(m);
      if (!keep(c)) continue;
      const solver = toSolverNode(c.node, selectedOn(ledger, c.node, this.selectors), placed.get(c.node.name) ?? []);
      added.push({ candidate: c, roomy: false, solver });
    }
    return patch(this, replaced.sort(byMemberScore), added).nodes;
  }
}

function byMemberScore(a: Member, b: Member): number {
  return byScore(a.candidate, b.candidate);
}

/** Members in byScore order and their solver nodes, in the same order. */
interface Listed {
  readonly members: readonly Member[];
  readonly nodes: readonly SolverNode[];
}

/**
 * `base`'s members (in byScore order) without `drop` (some of them, in their order) and with `add`
 * (in byScore order) merged in, each added member before the first member kept that comes after
 * it; with their solver nodes. Each added member's place is found by binary search, and the kept
 * members' solver nodes are copied from base's nodes: a sync changes a few of a thousand members,
 * and comparing each member with the next to add (string comparisons on score ties) or reading
 * each member for its solver node cost more than copying the two arrays.
 */
function patch(base: Listed, drop: readonly Member[], add: readonly Member[]): Listed {
  const from = base.members;
  const fromNodes = base.nodes;
  const members: Member[] = [];
  const nodes: SolverNode[] = [];
  let i = 0;
  let d = 0;
  for (let a = 0; a <= add.length; a++) {
    const end = a < add.length ? firstAfter(from, add[a]!, i) : from.length;
    for (; i < end; i++) {
      const m = from[i]!;
      if (d < drop.length && drop[d] === m) {
        d++;
        continue;
      }
      members.push(m);
      nodes.push(fromNodes[i]!);
    }
    if (a < add.length) {
      members.push(add[a]!);
      nodes.push(add[a]!.solver);
    }
  }
  return { members, nodes };
}

/** The first index from `from` on whose member comes after m in byScore order (base.length if none; `base` is in that order). */
function firstAfter(base: readonly Member[], m: Member, from: number): number {
  let lo = from;
  let hi = base.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byMemberScore(m, base[mid]!) < 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * What solverNodes works out per node, kept between calls (a scheduler's passes) and brought up
 * to date from the ledger's journal, so that a call costs what changed since the last plus what it
 * shows: per node entry version, its free room, score and solver node, handed to the solver as the
 * same object (and pod list) so what the solver derives per node and per pod list is reused too;
 * per group's request vectors, the nodes shown to pods without inter-pod constraints, in order;
 * per group's selectors, every node in order with the pods they select. Serves one ledger at a
 * time (another ledger's call rereads every node).
 */
export class SolverNodeMemo {
  readonly #entries = new WeakMap<LedgerNode, MemoEntry>();
  /** By request vectors' key (see distinctRequests): the nodes that repel or have room for one of them. */
  readonly #roomy = new Map<string, Ordered>();
  /** By the group's selector ids: every node, with the pods they select. */
  readonly #every = new Map<string, Ordered>();
  readonly #entry = (node: LedgerNode): MemoEntry => {
    let e = this.#entries.get(node);
    if (e?.version !== node.version) this.#entries.set(node, (e = new MemoEntry(node.version, node)));
    return e;
  };

  /** solverNodes with this memo (see solverNodes). */
  solverNodes(ledger: NodeLedger, pods: readonly PlacedPod[], placed: ReadonlyMap<string, readonly PlacedPod[]>): SolverNodesResult {
    const { vectors, key } = distinctRequests(pods);
    const roomy = kept(this.#roomy, VECTORS_KEPT, key, () => new Ordered(vectors, NO_SELECTORS));
    roomy.sync(ledger, this.#entry);
    // Nodes given pods earlier in the pass are shown as they are now, not as the memo keeps them.
    const fresh: Candidate[] = [];
    let room = roomy.roomy;
    for (const [name, earlier] of placed) {
      const node = ledger.node(name);
      if (node?.node === undefined) continue;
      const c = candidate(node, earlier, undefined);
      fresh.push(c);
      if (roomy.member(node)?.roomy === true) room--;
      if (c.usable && fitsAny(vectors, c.free)) room++;
    }
    fresh.sort(byScore);
    if (!pods.some((p) => pendingFacts(p).interPod)) {
      if (fresh.length === 0) return { nodes: roomy.nodes, topology: false };
      return { nodes: roomy.withPlaced(ledger, fresh, placed, (c) => c.repels || (c.usable && fitsAny(vectors, c.free))), topology: false };
    }
    // Room nowhere: what is shown is what pods without inter-pod constraints are shown, which place none.
    if (room === 0) return { nodes: roomy.withPlaced(ledger, fresh, placed, (c) => c.repels), topology: false };
    const selectors = groupSelectors(pods);
    const every = kept(this.#every, SHOWN_KEPT, selectors.map((s) => s.id).join('\n'), () => new Ordered(undefined, selectors));
    every.sync(ledger, this.#entry);
    return { nodes: fresh.length === 0 ? every.nodes : every.withPlaced(ledger, fresh, placed, () => true), topology: true };
  }
}

/** The map's value for the key, made when missing (the map is emptied first when it holds `limit`). */
function kept(map: Map<string, Ordered>, limit: number, key: string, make: () => Ordered): Ordered {
  let o = map.get(key);
  if (o === undefined) {
    if (map.size >= limit) map.clear();
    map.set(key, (o = make()));
  }
  return o;
}

/** Request vectors SolverNodeMemo keeps the roomy nodes of (a pass has a group per priority). */
const VECTORS_KEPT = 64;

/** Selector sets SolverNodeMemo keeps every node with the selected pods for (a pass has a group per priority; a cluster a few workloads with inter-pod terms). */
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
 * and their contents, sorted, as one string: equal keys, lists that fit the same nodes. Sorted
 * because a node fits the lists or not whatever their order, and a pass's groups list the same
 * workloads' requests in the order their pods come.
 */
function distinctRequests(pods: readonly PlacedPod[]): { vectors: ResourceList[]; key: string } {
  const byKey = new Map<string, ResourceList>();
  for (const p of pods) {
    const key = pendingFacts(p).requestsKey;
    if (!byKey.has(key)) byKey.set(key, p.requests);
  }
  return { vectors: [...byKey.values()], key: [...byKey.keys()].sort().join('\n') };
}

/** What solverNodes reads of a pending pod, derived once per pod object: a pod waits through many passes. */
interface PendingFacts {
  readonly interPod: boolean;
  /** interPodSelectors, each with its JSON (equal selectors, equal ids). */
  readonly selectors: readonly { readonly id: string; readonly selector: LabelSelector }[];
  /** The requests' names and amounts, in their order. */
  readonly requestsKey: string;
}

/**
 * By pod spec object: the facts and the labels they were derived with. A status write (marking the
 * pod Unschedulable) makes a new pod object that shares the spec and labels objects of the last.
 */
const pendingBySpec = new WeakMap<Pod['spec'], { readonly labels: Pod['metadata']['labels']; readonly facts: PendingFacts }>();

/**
 * The pending pod's facts, derived from its spec and labels alone, so kept while both are the same
 * objects (its requests are taken to be what they always are for its spec, as podRequests reads
 * only the spec).
 */
function pendingFacts(p: PlacedPod): PendingFacts {
  const spec = p.pod.spec;
  const labels = p.pod.metadata.labels;
  const kept = pendingBySpec.get(spec);
  if (kept !== undefined && kept.labels === labels) return kept.facts;
  let requestsKey = '';
  for (const name in p.requests) requestsKey += `${name}=${p.requests[name]},`;
  const selectors = interPodSelectors(p.pod).map((selector) => ({ id: JSON.stringify(selector), selector }));
  const facts = { interPod: hasInterPodTerms(p.pod), selectors, requestsKey };
  pendingBySpec.set(spec, { labels, facts });
  return facts;
}

/**
 * The last NodeBase made for a scheduler's solves per lineage, reused while the nodes it is asked
 * for are some of its nodes, in its order (the same node objects): what the solver derives from
 * the nodes is then derived once for several solves. Passes that bind nothing, and the groups of a
 * pass that come after one that placed nothing, solve over the same nodes again.
 *
 * A lineage is the caller's name for one kind of node list. A pass alternates kinds whose node
 * objects differ (every node showing the pods some selectors select, for pods with inter-pod
 * constraints; only nodes with room, showing none, for pods without): with one base for all, each
 * solve would make a base after one of the other kind and derive again what its own kind's last
 * base held for the same node objects. Each lineage's new base is made after its own last one.
 */
export class SolverNodeBase {
  readonly #bases = new Map<string, NodeBase>();

  /**
   * The nodes as a subset of the lineage's kept base, or of a new base made of them (then kept for
   * the lineage). Lineages are expected to be few (the map keeps one base per lineage).
   */
  subset(nodes: readonly SolverNode[], lineage = ''): NodeSubset {
    const base = this.#bases.get(lineage);
    // The memo hands out the same array while nothing it shows changed.
    if (base?.nodes === nodes) return base.all();
    const keep = base && subsequence(base.nodes, nodes);
    if (base && keep) return { base, keep };
    const made = new NodeBase(nodes, base, base && carriedIndexes(base.nodes, nodes));
    this.#bases.set(lineage, made);
    return made.all();
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

