/**
 * Which pods a node's removal must move, and which pods forbid the removal: the Cluster
 * Autoscaler's drainability rules. DaemonSet pods, mirror pods and finished pods do not move.
 * Of the rest, in this order:
 * - `cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` makes a pod movable whatever follows;
 * - `safe-to-evict: "false"` blocks;
 * - a pod without a controller blocks (nothing would recreate it);
 * - a kube-system pod without a PodDisruptionBudget blocks (`--skip-nodes-with-system-pods`);
 * - a pod with emptyDir or hostPath volumes blocks (`--skip-nodes-with-local-storage`), except
 *   volumes named in `safe-to-evict-local-volumes`;
 * - a pod whose PodDisruptionBudget has no disruption left for it blocks (budgets are counted down
 *   across the nodes of one pass, as the Cluster Autoscaler's remaining-PDB tracker does).
 */
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { LabelPredicate } from '../../apis/selectors.js';
import { compileSelector } from '../../apis/selectors.js';
import { isOwnedByDaemonSet, isOwnedByNode, isTerminal } from '../../state/pod-predicates.js';

export const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
export const SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes';
/** On a Node: never scale it down. */
export const SCALE_DOWN_DISABLED_ANNOTATION = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';

export type BlockReason = 'not-safe-to-evict' | 'not-replicated' | 'unmovable-kube-system-pod' | 'local-storage' | 'not-enough-pdb';

export interface Blocker {
  readonly pod: Pod;
  readonly reason: BlockReason;
  /** For a decision log: "default/web-1 has local storage (emptyDir)". */
  readonly message: string;
}

export interface DrainRules {
  readonly skipNodesWithSystemPods: boolean;
  readonly skipNodesWithLocalStorage: boolean;
}

interface Budget {
  readonly key: string;
  readonly namespace: string;
  readonly matches: LabelPredicate;
  remaining: number;
}

/** The budgets of one pass, counted down as nodes are found removable. */
export class PdbTracker {
  readonly #budgets: Budget[];

  constructor(pdbs: readonly PodDisruptionBudget[]) {
    this.#budgets = [];
    for (const pdb of pdbs) {
      let matches: LabelPredicate;
      try {
        matches = compileSelector(pdb.spec.selector);
      } catch {
        continue; // a budget the API server would have refused selects nothing
      }
      this.#budgets.push({ key: keyOf(pdb), namespace: pdb.metadata.namespace ?? 'default', matches, remaining: pdb.status?.disruptionsAllowed ?? 0 });
    }
  }

  /** The budgets that select the pod. */
  budgetsOf(pod: Pod): readonly { readonly key: string; readonly remaining: number }[] {
    const ns = pod.metadata.namespace ?? 'default';
    return this.#budgets.filter((b) => b.namespace === ns && b.matches(pod.metadata.labels));
  }

  /** The first pod whose budget has fewer disruptions left than the pods of `pods` it selects. */
  firstBlocked(pods: readonly Pod[]): { pod: Pod; budget: string } | undefined {
    const need = new Map<Budget, number>();
    for (const pod of pods) {
      for (const b of this.budgetsOf(pod) as Budget[]) {
        const n = (need.get(b) ?? 0) + 1;
        need.set(b, n);
        if (n > b.remaining) return { pod, budget: b.key };
      }
    }
    return undefined;
  }

  /** Counts the pods' evictions against their budgets. */
  remove(pods: readonly Pod[]): void {
    for (const pod of pods) for (const b of this.budgetsOf(pod) as Budget[]) b.remaining--;
  }
}

/** Pods that stay with the node rather than move: DaemonSet, mirror and finished pods. */
export function staysWithNode(pod: Pod): boolean {
  return isOwnedByDaemonSet(pod) || isOwnedByNode(pod) || isTerminal(pod);
}

function localVolumes(pod: Pod): string[] {
  const allowed = new Set((pod.metadata.annotations?.[SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  return (pod.spec.volumes ?? []).filter((v) => (v.emptyDir !== undefined || v.hostPath !== undefined) && !allowed.has(v.name))
    .map((v) => `${v.name} (${v.emptyDir !== undefined ? 'emptyDir' : 'hostPath'})`);
}

/** The pod's own reason to block a removal (not counting budgets), if any. */
export function podBlocker(pod: Pod, rules: DrainRules, pdbs: PdbTracker): Blocker | undefined {
  const annotation = pod.metadata.annotations?.[SAFE_TO_EVICT_ANNOTATION];
  if (annotation === 'true') return undefined;
  const name = keyOf(pod);
  if (annotation === 'false') return { pod, reason: 'not-safe-to-evict', message: `${name} is annotated ${SAFE_TO_EVICT_ANNOTATION}: "false"` };
  if (!pod.metadata.ownerReferences?.some((o) => o.controller)) {
    return { pod, reason: 'not-replicated', message: `${name} has no controller to recreate it elsewhere` };
  }
  if (rules.skipNodesWithSystemPods && (pod.metadata.namespace ?? 'default') === 'kube-system' && pdbs.budgetsOf(pod).length === 0) {
    return { pod, reason: 'unmovable-kube-system-pod', message: `${name} is a kube-system pod without a PodDisruptionBudget` };
  }
  if (rules.skipNodesWithLocalStorage) {
    const local = localVolumes(pod);
    if (local.length > 0) return { pod, reason: 'local-storage', message: `${name} has local storage: ${local.join(', ')}` };
  }
  return undefined;
}

/**
 * The pods to move off a node with these pods, or the first blocker.
 */
export function podsToMove(pods: readonly Pod[], rules: DrainRules, pdbs: PdbTracker): { pods: Pod[] } | { blocker: Blocker } {
  const moving = pods.filter((p) => !staysWithNode(p));
  for (const pod of moving) {
    const blocker = podBlocker(pod, rules, pdbs);
    if (blocker) return { blocker };
  }
  const pdb = pdbs.firstBlocked(moving);
  if (pdb) {
    return { blocker: { pod: pdb.pod, reason: 'not-enough-pdb', message: `${keyOf(pdb.pod)}: PodDisruptionBudget ${pdb.budget} allows no more disruptions` } };
  }
  return { pods: moving };
}
