/**
 * A StateNode: one machine as the controllers see it, whether it exists so far as a NodeClaim (in
 * flight), a Node (unmanaged, or a claim not yet seen), or both joined by providerID. Its
 * properties follow Karpenter's StateNode: before initialisation a managed node is described by its
 * NodeClaim (labels, taints without startup taints, allocatable), after it by its Node.
 */
import type { Node, Pod, Taint } from '../apis/core.js';
import { INITIALIZED_LABEL, isDisruptedTaint, NODEPOOL_LABEL, REGISTERED_LABEL, HOSTNAME_LABEL } from '../apis/labels.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { ConditionTypes } from '../apis/v1/types.js';
import type { SolverNode } from '../scheduling/types.js';
import type { ResourceList } from '../utils/resources.js';
import { resourcesFromQuantities } from '../utils/resources.js';
import type { NodePods } from './pod-index.js';

/** An immutable view of one machine at the moment it was taken. */
export interface StateNode {
  /** The providerID, or "nodeclaim/<name>" / "node/<name>" until one is known (it may change once). */
  readonly id: string;
  /** The Node's name, else the NodeClaim's. */
  readonly name: string;
  readonly nodeName: string | undefined;
  readonly nodeClaimName: string | undefined;
  readonly providerID: string | undefined;
  readonly node: Node | undefined;
  readonly nodeClaim: NodeClaim | undefined;
  readonly nodePool: string | undefined;
  /** Has a NodeClaim: nodewright launched it and may disrupt it. */
  readonly managed: boolean;
  readonly registered: boolean;
  readonly initialized: boolean;
  /** Not initialised yet (a claim without a Node, or a Node still starting): capacity on its way. */
  readonly inFlight: boolean;
  /** The Node or NodeClaim has a deletionTimestamp. */
  readonly deleting: boolean;
  /** Marked by a controller, or deleting. */
  readonly markedForDeletion: boolean;
  /** The Node carries the karpenter.sh/disrupted taint. */
  readonly disrupted: boolean;
  /** Cordoned (spec.unschedulable). */
  readonly cordoned: boolean;
  /** A nomination's end (epoch ms), while one lasts at the time the view was taken. */
  readonly nominatedUntil: number | undefined;
  /** When a pod was last bound to or left this node, as the cache saw it (epoch ms). */
  readonly lastPodEventMs: number | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly capacity: ResourceList;
  readonly allocatable: ResourceList;
  /** Summed requests of the non-terminal pods bound here (DaemonSet pods included). */
  readonly requested: ResourceList;
  readonly daemonSetRequested: ResourceList;
  /** Non-terminal pods bound here. */
  readonly pods: readonly Pod[];
  readonly daemonSetPods: readonly Pod[];
}

/** What a record reads from the rest of the cache. */
export interface StateNodeContext {
  podsOn(nodeName: string): NodePods | undefined;
  /** The latest nomination end for any of the names, if still in the future. */
  nominatedUntil(names: readonly string[]): number | undefined;
  isMarked(names: readonly string[]): boolean;
  lastPodEvent(nodeName: string): number | undefined;
  /** MachineNotes.version: nominations and marks are as they were while it stays. */
  notesVersion(): number;
  /** The clock's time (epoch ms), to tell whether a nomination has ended. */
  now(): number;
}

let seq = 0;
const EMPTY: ResourceList = Object.freeze({});
const NO_PODS: readonly Pod[] = Object.freeze([]);

function quantities(q: Record<string, string | number> | undefined): ResourceList {
  try {
    return resourcesFromQuantities(q);
  } catch {
    return {}; // validated by the API server; a bad fixture must not break the cache
  }
}

const nonEmpty = (q: Record<string, string | number> | undefined): q is Record<string, string | number> =>
  q !== undefined && Object.keys(q).length > 0;

/** Labels a claim's node will surely have: its own, plus every single-valued In requirement. */
function claimLabels(claim: NodeClaim): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of claim.spec.requirements) {
    if (r.operator === 'In' && r.values?.length === 1) out[r.key] = r.values[0]!;
  }
  return { ...out, ...claim.metadata.labels };
}

type Quantities = Record<string, string | number> | undefined;

interface Static {
  readonly version: number;
  readonly base: Omit<StateNode, 'nominatedUntil' | 'lastPodEventMs' | 'markedForDeletion' | 'requested' | 'daemonSetRequested' | 'pods' | 'daemonSetPods'>;
  /** The quantities `capacity` and `allocatable` were parsed from. */
  readonly capacityFrom: Quantities;
  readonly allocatableFrom: Quantities;
}

/**
 * Whether `labels` of the base made from `prev` are claimLabels(claim) too: that base took them
 * from a claim alone, with the very requirements and labels `claim` has (API objects are never
 * modified, and a new version shares the subtrees it did not change).
 */
function sameClaimLabels(prev: Static | undefined, claim: NodeClaim): prev is Static {
  const was = prev?.base.nodeClaim;
  return prev?.base.node === undefined && was !== undefined && was.spec.requirements === claim.spec.requirements && was.metadata.labels === claim.metadata.labels;
}

/** The cache's mutable record behind a StateNode (only ClusterState writes it). */
export class StateNodeRecord {
  #node: Node | undefined;
  #claim: NodeClaim | undefined;
  #version = ++seq;
  #static: Static | undefined;
  #view: { version: number; bucketVersion: number; notesVersion: number; view: StateNode } | undefined;
  #solver: { version: number; bucketVersion: number; unschedulable: boolean; node: SolverNode } | undefined;
  #names: { version: number; names: readonly string[] } | undefined;

  constructor(readonly id: string, readonly ctx: StateNodeContext) {}

  get node(): Node | undefined {
    return this.#node;
  }

  get nodeClaim(): NodeClaim | undefined {
    return this.#claim;
  }

  setNode(node: Node | undefined): void {
    this.#node = node;
    this.#version = ++seq;
  }

  setClaim(claim: NodeClaim | undefined): void {
    this.#claim = claim;
    this.#version = ++seq;
  }

  /** Moves whenever the Node or NodeClaim is set; one sequence for every record, so no two records share a version. */
  get version(): number {
    return this.#version;
  }

  get empty(): boolean {
    return !this.#node && !this.#claim;
  }

  /** The Node's name, else the NodeClaim's (a view's `name`); undefined while empty. */
  get machineName(): string | undefined {
    return this.#node?.metadata.name ?? this.#claim?.metadata.name;
  }

  /** The name pods are bound under: the Node's, else the one the claim reports. */
  get podNodeName(): string | undefined {
    return this.#node?.metadata.name ?? this.#claim?.status?.nodeName;
  }

  /** The Node's and the NodeClaim's names (the same array until either object changes; do not mutate). */
  get names(): readonly string[] {
    if (this.#names?.version === this.#version) return this.#names.names;
    const out: string[] = [];
    if (this.#node?.metadata.name) out.push(this.#node.metadata.name);
    if (this.#claim?.metadata.name) out.push(this.#claim.metadata.name);
    this.#names = { version: this.#version, names: out };
    return out;
  }

  /** Capacity and pool, for NodePool usage (changes only with the node or claim). */
  get base(): Static['base'] {
    return this.#base().base;
  }

  #base(): Static {
    if (this.#static?.version === this.#version) return this.#static;
    const node = this.#node;
    const claim = this.#claim;
    const cond = (type: string): boolean => claim?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
    const nodeLabels = node?.metadata.labels ?? {};
    const managed = claim !== undefined;
    const registered = node !== undefined && (!managed || cond(ConditionTypes.Registered) || nodeLabels[REGISTERED_LABEL] === 'true');
    const initialized = node !== undefined && (!managed || cond(ConditionTypes.Initialized) || nodeLabels[INITIALIZED_LABEL] === 'true');
    const byClaim = managed && !initialized;
    const claimAllocatable = nonEmpty(claim?.status?.allocatable) ? claim.status.allocatable : claim?.spec.resources?.requests;
    const claimCapacity = nonEmpty(claim?.status?.capacity) ? claim.status.capacity : claimAllocatable;
    const taints = (byClaim ? claim.spec.taints : node?.spec?.taints) ?? [];
    // A new version of the node or claim (a status write, most often) mostly leaves what these are
    // worked out from as it was: the values made then are carried.
    const prev = this.#static;
    const capacityFrom = byClaim || !node ? claimCapacity : node.status?.capacity;
    const allocatableFrom = byClaim || !node ? claimAllocatable : node.status?.allocatable;
    const base: Static['base'] = {
      id: this.id,
      name: node?.metadata.name ?? claim!.metadata.name!,
      nodeName: node?.metadata.name,
      nodeClaimName: claim?.metadata.name,
      providerID: node?.spec?.providerID || claim?.status?.providerID || undefined,
      node,
      nodeClaim: claim,
      nodePool: nodeLabels[NODEPOOL_LABEL] ?? claim?.metadata.labels?.[NODEPOOL_LABEL],
      managed,
      registered,
      initialized,
      inFlight: !initialized,
      deleting: !!(node?.metadata.deletionTimestamp ?? claim?.metadata.deletionTimestamp),
      disrupted: node?.spec?.taints?.some(isDisruptedTaint) ?? false,
      cordoned: node?.spec?.unschedulable ?? false,
      labels: node ? nodeLabels : sameClaimLabels(prev, claim!) ? prev.base.labels : claimLabels(claim!),
      taints,
      capacity: prev !== undefined && prev.capacityFrom === capacityFrom ? prev.base.capacity : quantities(capacityFrom),
      allocatable: prev !== undefined && prev.allocatableFrom === allocatableFrom ? prev.base.allocatable : quantities(allocatableFrom),
    };
    return (this.#static = { version: this.#version, base, capacityFrom, allocatableFrom });
  }

  /** Whether its pods must move: marked for deletion, deleting, or tainted disrupted. */
  disrupting(): boolean {
    const b = this.#base().base;
    return b.deleting || b.disrupted || this.ctx.isMarked(this.names);
  }

  /** The current immutable view (rebuilt only when something it shows changed). */
  view(): StateNode {
    const base = this.#base().base;
    const podName = this.podNodeName;
    const bucket = podName !== undefined ? this.ctx.podsOn(podName) : undefined;
    const lastPodEventMs = podName !== undefined ? this.ctx.lastPodEvent(podName) : undefined;
    const bucketVersion = bucket?.version ?? 0;
    const notesVersion = this.ctx.notesVersion();
    const c = this.#view;
    const same = c !== undefined && c.version === this.#version && c.bucketVersion === bucketVersion && c.view.lastPodEventMs === lastPodEventMs;
    // Notes unchanged: the marks are the same, and so is the nomination unless it has ended.
    if (same && c.notesVersion === notesVersion && (c.view.nominatedUntil === undefined || c.view.nominatedUntil > this.ctx.now())) return c.view;
    const names = this.names;
    const nominatedUntil = this.ctx.nominatedUntil(names);
    const marked = base.deleting || this.ctx.isMarked(names);
    if (same && c.view.nominatedUntil === nominatedUntil && c.view.markedForDeletion === marked) {
      c.notesVersion = notesVersion;
      return c.view;
    }
    // One literal with every field, so all views share a shape (a spread would not).
    const view: StateNode = {
      id: base.id, name: base.name, nodeName: base.nodeName, nodeClaimName: base.nodeClaimName, providerID: base.providerID,
      node: base.node, nodeClaim: base.nodeClaim, nodePool: base.nodePool, managed: base.managed, registered: base.registered,
      initialized: base.initialized, inFlight: base.inFlight, deleting: base.deleting, markedForDeletion: marked,
      disrupted: base.disrupted, cordoned: base.cordoned, nominatedUntil, lastPodEventMs, labels: base.labels,
      taints: base.taints, capacity: base.capacity, allocatable: base.allocatable,
      requested: bucket ? { ...bucket.requested } : EMPTY, daemonSetRequested: bucket ? { ...bucket.daemonRequested } : EMPTY,
      pods: bucket?.activePods() ?? NO_PODS, daemonSetPods: bucket?.daemonPods() ?? NO_PODS,
    };
    this.#view = { version: this.#version, bucketVersion, notesVersion, view };
    return view;
  }

  /**
   * The node as the solver sees it. No new pod may go to a node marked for deletion, tainted
   * disrupted, or cordoned; its pods still count for topology. `view` is this record's view()
   * when the caller has just taken it (it is then not worked out again).
   */
  solverNode(view?: StateNode): SolverNode {
    const current = view !== undefined && this.#view?.view === view && this.#view.version === this.#version ? view : this.view();
    const { version, bucketVersion } = this.#view!;
    const unschedulable = current.markedForDeletion || current.disrupted || current.cordoned;
    const s = this.#solver;
    if (s !== undefined && s.version === version && s.bucketVersion === bucketVersion && s.unschedulable === unschedulable) return s.node;
    const base = this.#base().base;
    // A claim in flight has no Node yet, so no hostname label: its name stands in, as a planned
    // claim's placeholder does, so hostname topology (anti-affinity, spread) can count it.
    const labels = base.labels[HOSTNAME_LABEL] === undefined ? { ...base.labels, [HOSTNAME_LABEL]: base.name } : base.labels;
    const node: SolverNode = {
      name: base.name,
      labels,
      taints: base.taints,
      allocatable: base.allocatable,
      // The view's pods are the bucket's active pods (bucket versions are never 0).
      pods: bucketVersion !== 0 ? current.pods : [],
      inFlight: base.inFlight,
      unschedulable,
      nodePool: base.nodePool,
    };
    this.#solver = { version, bucketVersion, unschedulable, node };
    return node;
  }
}
