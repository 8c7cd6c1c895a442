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

/** Per machine view: its do-not-disrupt answer, from `at` until `until` (the next protection to lapse). */
const dndOfView = new WeakMap<StateNode, { readonly at: number; readonly until: number; readonly reason: string | undefined }>();

/**
 * doNotDisruptReason, kept per machine view (immutable: a new one when its node, claim or pods
 * change) while `now` is before the first time-limited protection of its pods that lapses: only
 * then can the answer change.
 */
export function doNotDisruptReasonOf(node: StateNode, now: number): string | undefined {
  const memo = dndOfView.get(node);
  if (memo && now >= memo.at && now < memo.until) return memo.reason;
  let until = Infinity;
  for (const pod of node.pods) {
    const u = podProtectedUntil(pod, now);
    if (u !== undefined && u < until) until = u;
  }
  const reason = doNotDisruptReason(node, now);
  dndOfView.set(node, { at: now, until, reason });
  return reason;
}

/**
 * Why PodDisruptionBudgets forbid evicting one of the pods, or undefined: a pod selected by more
 * than one budget (the eviction API refuses those), or by a budget with no disruption allowed now
 * (a budget without status counts as allowing none). Pods that would not be evicted (finished,
 * terminating, static) are skipped, as Karpenter does.
 */
export function pdbBlockReason(pods: readonly Pod[], pdbsFor: (pod: Pod) => readonly PodDisruptionBudget[]): string | undefined {
  for (const pod of pods) {
    if (!isActive(pod) || isOwnedByNode(pod)) continue;
    const pdbs = pdbsFor(pod);
    if (pdbs.length > 1) {
      return `pod ${keyOf(pod)} is selected by ${pdbs.length} PodDisruptionBudgets (${pdbs.map(keyOf).join(', ')}); eviction refuses such pods`;
    }
    const pdb = pdbs[0];
    if (pdb && (pdb.status?.disruptionsAllowed ?? 0) <= 0) {
      return `PodDisruptionBudget ${keyOf(pdb)} allows no disruption of pod ${keyOf(pod)} now`;
    }
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
