/**
 * What every node holds, kept up to date one event at a time: its allocatable, readiness and
 * taints, the pods bound to it that still hold resources (not finished; terminating pods still
 * count, as kube-scheduler counts them until they are gone) and the sum of their requests. Pods
 * are also indexed by label, so the pods a selector picks are found without scanning the cluster.
 *
 * The scheduler stand-in reads it to build the solver's view of existing nodes; the metrics
 * sampler reads requested/allocatable per node. No I/O, no clock.
 */
import type { LabelSelector, Node, Pod, Taint } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { compileSelector } from '../../apis/selectors.js';
import { safePodRequests } from '../../scheduling/object-facts.js';
import type { ResourceList } from '../../utils/resources.js';
import { resourcesFromQuantities } from '../../utils/resources.js';
import { constrainsNeighbours, hasRequiredAntiAffinity, isNodeReady, podStage } from './pod-facts.js';

export interface LedgerPod {
  readonly key: string;
  readonly uid: string;
  readonly nodeName: string;
  pod: Pod;
  /** podRequests(pod), computed once ({pods: 1} when the pod's quantities are malformed). */
  readonly requests: ResourceList;
  /** Required anti-affinity or host ports (see constrainsNeighbours). */
  readonly constrains: boolean;
  readonly antiAffinity: boolean;
  /** When it joined: pods in order of joining are the ledger's pods in order (see podsSelectedBy). */
  readonly joinedAt: number;
  /** When it joined or was last relabelled: pods in this order are each label's pods in order. */
  labelledAt: number;
}

export interface LedgerNode {
  readonly name: string;
  /** Undefined while pods are bound to a node that does not exist (yet, or any more). */
  node: Node | undefined;
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
  allocatable: ResourceList;
  ready: boolean;
  /** spec.unschedulable, or being deleted: no new pod may go there. */
  cordoned: boolean;
  readonly pods: Map<string, LedgerPod>;
  /** Sum of the requests of `pods` (a missing key is 0). */
  readonly requested: Record<string, number>;
  /** How many of `pods` carry required anti-affinity. */
  antiAffinityPods: number;
  /** How many of `pods` constrain their neighbours (required anti-affinity or host ports). */
  constrainingPods: number;
  /**
   * Moves on every change to the entry that its readers see: the node, or a pod joining, leaving
   * or being relabelled (not a pod's status updates). Each move is journaled (see changedSince).
   */
  version: number;
}

/** Journal entries kept at least (more with more nodes: see #journal). */
const JOURNAL_KEPT = 4_096;

/**
 * podRequests(pod), or {pods: 1} when its quantities are malformed (the solver then explains why).
 * Worked out once per pod object and shared with the solver, which reads the same pods. Do not
 * mutate the result.
 */
export function safeRequests(pod: Pod): ResourceList {
  return safePodRequests(pod);
}

function safeAllocatable(node: Node): ResourceList {
  try {
    return resourcesFromQuantities(node.status?.allocatable);
  } catch {
    return {};
  }
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  const ka = a ? Object.keys(a) : [];
  if (ka.length !== (b ? Object.keys(b).length : 0)) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

export class NodeLedger {
  readonly #nodes = new Map<string, LedgerNode>();
  /** Holding pods by key. */
  readonly #pods = new Map<string, LedgerPod>();
  /** "key=value" → holding pods carrying that label. */
  readonly #byLabel = new Map<string, Set<LedgerPod>>();
  /** Moves whenever a holding pod joins or is relabelled: its joinedAt and labelledAt. */
  #seq = 0;
  /**
   * The entries whose version moved or that were forgotten, oldest first, with repeats: entry i is
   * change number #journalStart + i. The older half is dropped once it holds several changes per
   * node, so a reader that keeps up reads a few entries per change and one that fell behind rereads
   * the nodes.
   */
  #journal: LedgerNode[] = [];
  #journalStart = 0;

  /** The number of changes journaled so far: a reader's position for changedSince. */
  get journalEnd(): number {
    return this.#journalStart + this.#journal.length;
  }

  /**
   * The entries whose version moved, or that were forgotten (node(name) no longer returns them),
   * since journalEnd was `position`, oldest first and with repeats; undefined when the journal no
   * longer reaches back that far (the reader then rereads nodes()).
   */
  changedSince(position: number): readonly LedgerNode[] | undefined {
    if (position < this.#journalStart || position > this.journalEnd) return undefined;
    return this.#journal.slice(position - this.#journalStart);
  }

  /** Known nodes and nodes that pods are bound to, in insertion order. */
  nodes(): IterableIterator<LedgerNode> {
    return this.#nodes.values();
  }

  node(name: string): LedgerNode | undefined {
    return this.#nodes.get(name);
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  /** Pods holding resources on some node. */
  get podCount(): number {
    return this.#pods.size;
  }

  /** Records a node's current state. */
  setNode(node: Node): void {
    const entry = this.#entry(node.metadata.name ?? '');
    entry.node = node;
    entry.labels = node.metadata.labels ?? {};
    entry.taints = node.spec?.taints ?? [];
    entry.allocatable = safeAllocatable(node);
    entry.ready = isNodeReady(node);
    entry.cordoned = node.spec?.unschedulable === true || node.metadata.deletionTimestamp !== undefined;
    this.#changed(entry);
  }

  /** Forgets a node; its pods stay (bound to a node that no longer exists) until they go. */
  removeNode(name: string): void {
    const entry = this.#nodes.get(name);
    if (!entry) return;
    if (entry.pods.size === 0) {
      this.#nodes.delete(name);
      this.#journaled(entry);
      return;
    }
    entry.node = undefined;
    entry.ready = false;
    entry.cordoned = true;
    entry.allocatable = {};
    this.#changed(entry);
  }

  /** Records a pod's current state (adds, moves or drops it as its stage says). */
  setPod(pod: Pod): void {
    const key = keyOf(pod);
    const old = this.#pods.get(key);
    const holds = pod.spec.nodeName !== undefined && pod.spec.nodeName !== '' && podStage(pod) !== 'finished';
    if (old && (!holds || old.uid !== (pod.metadata.uid ?? '') || old.nodeName !== pod.spec.nodeName)) {
      this.#drop(old);
    } else if (old && holds) {
      // What else an update may change (status, annotations) is nothing the entry's readers use:
      // a pod's requests and constraints are taken when it joins, and its spec does not change after.
      if (sameLabels(old.pod.metadata.labels, pod.metadata.labels)) {
        old.pod = pod;
        return;
      }
      this.#unlabel(old);
      old.pod = pod;
      this.#label(old, ++this.#seq);
      const at = this.#nodes.get(old.nodeName);
      if (at) this.#changed(at);
      return;
    }
    if (!holds) return;
    const joinedAt = ++this.#seq;
    const entry: LedgerPod = {
      key,
      uid: pod.metadata.uid ?? '',
      nodeName: pod.spec.nodeName!,
      pod,
      requests: safeRequests(pod),
      constrains: constrainsNeighbours(pod),
      antiAffinity: hasRequiredAntiAffinity(pod),
      joinedAt,
      labelledAt: joinedAt,
    };
    const node = this.#entry(entry.nodeName);
    node.pods.set(key, entry);
    for (const name in entry.requests) node.requested[name] = (node.requested[name] ?? 0) + entry.requests[name]!;
    if (entry.antiAffinity) node.antiAffinityPods++;
    if (entry.constrains) node.constrainingPods++;
    this.#changed(node);
    this.#pods.set(key, entry);
    this.#label(entry, joinedAt);
  }

  /** Forgets a deleted pod. */
  removePod(pod: Pod): void {
    const old = this.#pods.get(keyOf(pod));
    if (old) this.#drop(old);
  }

  /**
   * Holding pods whose labels the selector matches (namespaces are not checked: callers get a
   * superset where namespaces matter). An absent selector matches nothing, `{}` everything.
   */
  podsSelectedBy(selector: LabelSelector | undefined): LedgerPod[] {
    if (!selector) return [];
    const matches = compileSelector(selector);
    let candidates: Iterable<LedgerPod> | undefined;
    let best = Infinity;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
      const set = this.#byLabel.get(`${k}=${v}`);
      if (!set) return [];
      if (set.size < best) {
        best = set.size;
        candidates = set;
      }
    }
    if (candidates === undefined) {
      const inExpr = selector.matchExpressions?.find((e) => e.operator === 'In');
      if (inExpr) candidates = new Set((inExpr.values ?? []).flatMap((v) => [...(this.#byLabel.get(`${inExpr.key}=${v}`) ?? [])]));
    }
    const out: LedgerPod[] = [];
    for (const p of candidates ?? this.#pods.values()) if (matches(p.pod.metadata.labels)) out.push(p);
    return out;
  }

  /**
   * The pods on `node` that podsSelectedBy(selector) lists, in its order, found among the node's
   * pods alone. Every label's pods are in labelledAt order (a pod joins a label's set when it is
   * labelled, after the pods already there) and the ledger's in joinedAt order, which is the
   * order podsSelectedBy walks them in.
   */
  podsSelectedOn(node: LedgerNode, selector: LabelSelector | undefined): LedgerPod[] {
    if (!selector) return [];
    const matches = compileSelector(selector);
    const out: LedgerPod[] = [];
    for (const p of node.pods.values()) if (matches(p.pod.metadata.labels)) out.push(p);
    if (out.length < 2) return out;
    if (Object.keys(selector.matchLabels ?? {}).length > 0) return out.sort((a, b) => a.labelledAt - b.labelledAt);
    const inExpr = selector.matchExpressions?.find((e) => e.operator === 'In');
    if (inExpr === undefined) return out.sort((a, b) => a.joinedAt - b.joinedAt);
    // The values' label sets one after another, each pod once (at its value's first place).
    const values = inExpr.values ?? [];
    const place = (p: LedgerPod): number => values.indexOf(p.pod.metadata.labels?.[inExpr.key] ?? '');
    return out.sort((a, b) => place(a) - place(b) || a.labelledAt - b.labelledAt);
  }

  #entry(name: string): LedgerNode {
    let e = this.#nodes.get(name);
    if (!e) {
      e = {
        name, node: undefined, labels: {}, taints: [], allocatable: {}, ready: false, cordoned: true,
        pods: new Map(), requested: {}, antiAffinityPods: 0, constrainingPods: 0, version: 0,
      };
      this.#nodes.set(name, e);
    }
    return e;
  }

  #drop(p: LedgerPod): void {
    this.#pods.delete(p.key);
    this.#unlabel(p);
    const node = this.#nodes.get(p.nodeName);
    if (!node) return;
    node.pods.delete(p.key);
    for (const name in p.requests) node.requested[name] = (node.requested[name] ?? 0) - p.requests[name]!;
    if (p.antiAffinity) node.antiAffinityPods--;
    if (p.constrains) node.constrainingPods--;
    if (node.node === undefined && node.pods.size === 0) this.#nodes.delete(node.name);
    this.#changed(node);
  }

  /** Moves the entry's version and journals it. */
  #changed(e: LedgerNode): void {
    e.version++;
    this.#journaled(e);
  }

  #journaled(e: LedgerNode): void {
    if (this.#journal.length >= Math.max(JOURNAL_KEPT, 4 * this.#nodes.size)) {
      const dropped = this.#journal.length >> 1;
      this.#journal = this.#journal.slice(dropped);
      this.#journalStart += dropped;
    }
    this.#journal.push(e);
  }

  /** Indexes the pod by its labels, `at` being the latest seq (it goes after the pods there). */
  #label(p: LedgerPod, at: number): void {
    p.labelledAt = at;
    for (const [k, v] of Object.entries(p.pod.metadata.labels ?? {})) {
      const id = `${k}=${v}`;
      let set = this.#byLabel.get(id);
      if (!set) this.#byLabel.set(id, (set = new Set()));
      set.add(p);
    }
  }

  /** Unindexes the pod. */
  #unlabel(p: LedgerPod): void {
    for (const [k, v] of Object.entries(p.pod.metadata.labels ?? {})) {
      const id = `${k}=${v}`;
      const set = this.#byLabel.get(id);
      if (!set) continue;
      set.delete(p);
      if (set.size === 0) this.#byLabel.delete(id);
    }
  }
}
