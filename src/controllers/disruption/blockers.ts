/**
 * What keeps a machine from being disrupted voluntarily, whatever the method: karpenter.sh/do-not-disrupt
 * on the node or on one of its pods, and PodDisruptionBudgets that forbid evicting one of its pods.
 */
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { DO_NOT_DISRUPT_ANNOTATION, DO_NOT_EVICT_ANNOTATION, isDoNotDisrupt } from '../../apis/labels.js';
import { isActive, isOwnedByNode } from '../../state/pod-predicates.js';
import type { StateNode } from '../../state/state-node.js';
import { parseDuration } from '../../utils/duration.js';
import { SelectorIndex } from './selector-index.js';

/**
 * Until when a pod's do-not-disrupt annotation protects it: Infinity for "true", the pod's start
 * (status.startTime, else creation) plus the duration for a duration value ("30m"), undefined when
 * it is absent, unparsable, or not protecting it at `now`. Only active pods count (a finished or
 * terminating pod is going anyway); DaemonSet and static pods do count, as in Karpenter.
 */
export function podProtectedUntil(pod: Pod, now: number): number | undefined {
  if (!isActive(pod)) return undefined;
  const annotations = pod.metadata.annotations;
  if (!annotations) return undefined;
  if (isDoNotDisrupt(annotations)) return Infinity;
  const value = annotations[DO_NOT_DISRUPT_ANNOTATION] ?? annotations[DO_NOT_EVICT_ANNOTATION];
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    return undefined; // neither "true" nor a duration: Karpenter ignores it too
  }
  const start = Date.parse(pod.status?.startTime ?? pod.metadata.creationTimestamp ?? '');
  if (!Number.isFinite(start)) return undefined;
  const until = start + ms;
  return until > now ? until : undefined;
}

/** Why the node or one of its pods asks not to be disrupted, or undefined. */
export function doNotDisruptReason(node: StateNode, now: number): string | undefined {
  if (isDoNotDisrupt(node.node?.metadata.annotations)) return `node ${node.name} has ${DO_NOT_DISRUPT_ANNOTATION}=true`;
  if (isDoNotDisrupt(node.nodeClaim?.metadata.annotations)) return `nodeclaim ${node.nodeClaimName ?? ''} has ${DO_NOT_DISRUPT_ANNOTATION}=true`;
  for (const pod of node.pods) {
    const until = podProtectedUntil(pod, now);
    if (until === undefined) continue;
    return until === Infinity
      ? `pod ${keyOf(pod)} has ${DO_NOT_DISRUPT_ANNOTATION}=true`
      : `pod ${keyOf(pod)} has ${DO_NOT_DISRUPT_ANNOTATION} until ${new Date(until).toISOString()}`;
  }
  return undefined;
}

/**
 * A machine view's do-not-disrupt answer and the times it holds for: from `at` until `until`, the
 * first time-limited protection of its pods to lapse (a view is immutable, so only then can the
 * answer change).
 */
export interface DoNotDisruptWindow {
  readonly at: number;
  readonly until: number;
  readonly reason: string | undefined;
}

/** doNotDisruptReason at `now`, with how long it holds. */
export function doNotDisruptWindow(node: StateNode, now: number): DoNotDisruptWindow {
  let until = Infinity;
  for (const pod of node.pods) {
    const u = podProtectedUntil(pod, now);
    if (u !== undefined && u < until) until = u;
  }
  return { at: now, until, reason: doNotDisruptReason(node, now) };
}

/** Whether the window's answer holds at `now`. */
export const holdsAt = (w: DoNotDisruptWindow, now: number): boolean => now >= w.at && now < w.until;


/** Whether eviction would touch the pod (finished, terminating and static pods are skipped, as Karpenter does). */
const isEvicted = (pod: Pod): boolean => isActive(pod) && !isOwnedByNode(pod);

const multipleBudgets = (pod: Pod, pdbs: readonly PodDisruptionBudget[]): string =>
  `pod ${keyOf(pod)} is selected by ${pdbs.length} PodDisruptionBudgets (${pdbs.map(keyOf).join(', ')}); eviction refuses such pods`;

/** A budget without status counts as allowing none. */
const allowsNone = (pdb: PodDisruptionBudget): boolean => (pdb.status?.disruptionsAllowed ?? 0) <= 0;

const noDisruption = (pod: Pod, pdb: PodDisruptionBudget): string =>
  `PodDisruptionBudget ${keyOf(pdb)} allows no disruption of pod ${keyOf(pod)} now`;

/**
 * Why PodDisruptionBudgets forbid evicting one of the pods, or undefined: a pod selected by more
 * than one budget (the eviction API refuses those), or by a budget with no disruption allowed now
 * (a budget without status counts as allowing none). Pods that would not be evicted (finished,
 * terminating, static) are skipped, as Karpenter does.
 */
export function pdbBlockReason(pods: readonly Pod[], pdbsFor: (pod: Pod) => readonly PodDisruptionBudget[]): string | undefined {
  for (const pod of pods) {
    if (!isEvicted(pod)) continue;
    const pdbs = pdbsFor(pod);
    if (pdbs.length > 1) return multipleBudgets(pod, pdbs);
    const pdb = pdbs[0];
    if (pdb && allowsNone(pdb)) return noDisruption(pod, pdb);
  }
  return undefined;
}

/**
 * The PodDisruptionBudgets selecting a pod (same namespace, selector matches), indexed once per
 * pass: what ClusterState.pdbsFor answers, without running every budget's selector per pod.
 */
export class PdbLookup {
  readonly #byNamespace = new Map<string, SelectorIndex<PodDisruptionBudget>>();

  constructor(pdbs: readonly PodDisruptionBudget[]) {
    for (const pdb of pdbs) {
      const ns = pdb.metadata.namespace ?? 'default';
      let index = this.#byNamespace.get(ns);
      if (!index) this.#byNamespace.set(ns, (index = new SelectorIndex()));
      index.add(pdb.spec.selector, pdb);
    }
  }

  forPod(pod: Pod): PodDisruptionBudget[] {
    return this.#byNamespace.get(pod.metadata.namespace ?? 'default')?.matching(pod.metadata.labels) ?? [];
  }
}

/**
 * A pod some budget selects, with the positions of its budgets in the budget list. Of a machine's
 * pods only those that can decide the verdict are kept, in pod order: each budget's first pod,
 * up to the first pod with several budgets (which blocks whatever the statuses say).
 */
interface PdbHit {
  readonly pod: Pod;
  readonly positions: readonly number[];
  /**
   * Its blocking reason once worked out: the same text whatever the statuses, since it names
   * budgets only by namespace and name, which the selectors' signature fixes.
   */
  reason?: string;
}

/**
 * A pod list's budget hits under one set of selectors: what a caller keeps to skip the lookup by
 * pod list next pass (PdbVerdicts.hitsOf tells whether it still holds).
 */
export interface PdbHitList {
  readonly selectors: object;
  readonly hits: readonly PdbHit[];
}

/** What a budget list's selectors are: namespace, name and selector of each budget, in order. */
function selectorSignature(pdbs: readonly PodDisruptionBudget[]): string {
  return pdbs.map((p) => JSON.stringify([p.metadata.namespace, p.metadata.name, p.spec.selector])).join('\n');
}

/**
 * A budget list's selectors, indexed, and which of its budgets select the pods of each machine,
 * kept per pod list (the cache hands out the same list until the machine's pods change). Holds
 * only while the selectors are the same (PdbVerdicts.of checks): budgets are known by position.
 */
class PdbSelectors {
  readonly signature: string;
  readonly #lookup: PdbLookup;
  readonly #position: ReadonlyMap<PodDisruptionBudget, number>;
  readonly #hits = new WeakMap<readonly Pod[], PdbHitList>();

  constructor(pdbs: readonly PodDisruptionBudget[], signature: string) {
    this.signature = signature;
    this.#lookup = new PdbLookup(pdbs);
    this.#position = new Map(pdbs.map((p, i) => [p, i]));
  }

  hitsOf(pods: readonly Pod[]): PdbHitList {
    let hits = this.#hits.get(pods);
    if (!hits) this.#hits.set(pods, (hits = { selectors: this, hits: this.#find(pods) }));
    return hits;
  }

  #find(pods: readonly Pod[]): PdbHit[] {
    const hits: PdbHit[] = [];
    const seen = new Set<number>();
    for (const pod of pods) {
      if (!isEvicted(pod)) continue;
      const positions = this.#lookup.forPod(pod).map((p) => this.#position.get(p)!);
      if (positions.length > 1) {
        hits.push({ pod, positions });
        break;
      }
      const at = positions[0];
      if (at === undefined || seen.has(at)) continue;
      seen.add(at);
      hits.push({ pod, positions });
    }
    return hits;
  }
}

/** The last budget list seen (the cache hands out the same array until a budget changes) and its selectors, indexed. */
let last: { readonly pdbs: readonly PodDisruptionBudget[]; readonly selectors: PdbSelectors } | undefined;

/** Verdict epochs handed out so far, and the last one's selectors and budgets allowing none. */
let epochs = 0;
let lastEpoch: { readonly selectors: PdbSelectors; readonly none: readonly boolean[]; readonly epoch: number } | undefined;

function sameFlags(a: readonly boolean[], b: readonly boolean[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * PodDisruptionBudget verdicts for one pass: pdbBlockReason over the pass's budgets, with the
 * selector matching carried over from earlier passes while no budget's selector changed (their
 * status, which changes nearly every pass, is read from this pass's objects). The budget list must
 * not change while it is in use (the cluster cache's lists do not).
 */
export class PdbVerdicts {
  readonly #pdbs: readonly PodDisruptionBudget[];
  readonly #selectors: PdbSelectors;
  /** Per budget position: whether it allows no disruption now. */
  readonly #none: readonly boolean[];
  /**
   * Verdicts of one epoch answer alike for every pod list: they have the same selectors and the
   * same budgets allowing none, all a verdict reads (its texts name budgets by namespace and
   * name, which the selectors fix). Consecutive verdicts that answer alike share an epoch.
   */
  readonly epoch: number;

  private constructor(pdbs: readonly PodDisruptionBudget[], selectors: PdbSelectors) {
    this.#pdbs = pdbs;
    this.#selectors = selectors;
    this.#none = pdbs.map(allowsNone);
    const l = lastEpoch;
    if (l?.selectors === selectors && sameFlags(l.none, this.#none)) this.epoch = l.epoch;
    else lastEpoch = { selectors, none: this.#none, epoch: (this.epoch = ++epochs) };
  }

  /** Verdicts over this budget list, reusing the last list's selector index when its selectors are the same. */
  static of(pdbs: readonly PodDisruptionBudget[]): PdbVerdicts {
    if (last?.pdbs !== pdbs) {
      const signature = selectorSignature(pdbs);
      last = { pdbs, selectors: last?.selectors.signature === signature ? last.selectors : new PdbSelectors(pdbs, signature) };
    }
    return new PdbVerdicts(pdbs, last.selectors);
  }

  /** What pdbBlockReason says of the pods under this pass's budgets. */
  reasonFor(pods: readonly Pod[]): string | undefined {
    return this.reasonIn(this.hitsOf(pods));
  }

  /** The budget hits of a pod list: `known` when it was found under these selectors, else looked up. */
  hitsOf(pods: readonly Pod[], known?: PdbHitList): PdbHitList {
    return known?.selectors === this.#selectors ? known : this.#selectors.hitsOf(pods);
  }

  /** reasonFor of the pod list whose hits these are (hitsOf under these verdicts). */
  reasonIn(list: PdbHitList): string | undefined {
    for (const hit of list.hits) {
      const positions = hit.positions;
      if (positions.length > 1) return (hit.reason ??= multipleBudgets(hit.pod, positions.map((i) => this.#pdbs[i]!)));
      if (this.#none[positions[0]!]) return (hit.reason ??= noDisruption(hit.pod, this.#pdbs[positions[0]!]!));
    }
    return undefined;
  }
}
