/**
 * Small facts about pods and nodes that the embedded cluster's stand-ins (scheduler, kubelet,
 * controllers, metrics) agree on, so each counts the same pods the same way.
 */
import type { LabelSelector, Node, OwnerReference, Pod } from '../../apis/core.js';
import { isTerminal } from '../../state/pod-predicates.js';

/** The scheduler name of the default kube-scheduler (and of pods that name none). */
export const DEFAULT_SCHEDULER = 'default-scheduler';

/**
 * Where a pod stands in its life, as the stand-ins count it:
 * - `unscheduled`: not bound to a node, not finished, not being deleted;
 * - `starting`: bound, phase Pending (the kubelet has not started it yet);
 * - `running`: phase Running (or Unknown) and not being deleted;
 * - `terminating`: being deleted and not finished;
 * - `finished`: Succeeded or Failed.
 */
export type PodStage = 'unscheduled' | 'starting' | 'running' | 'terminating' | 'finished';

export function podStage(pod: Pod): PodStage {
  if (isTerminal(pod)) return 'finished';
  if (pod.metadata.deletionTimestamp) return 'terminating';
  if (!pod.spec.nodeName) return 'unscheduled';
  return pod.status?.phase === 'Running' || pod.status?.phase === 'Unknown' ? 'running' : 'starting';
}

/** The owner reference with controller=true, if any. */
export function controllerOf(pod: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller === true);
}

/** Node condition Ready=True. */
export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Pod condition Ready=True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** True when the default scheduler is the one to place this pod. */
export function usesDefaultScheduler(pod: Pod): boolean {
  const name = pod.spec.schedulerName;
  return name === undefined || name === '' || name === DEFAULT_SCHEDULER;
}

/**
 * The label selectors of the pod's inter-pod constraints (topology spread, pod affinity and
 * anti-affinity, required or preferred): the pods these select are the ones whose placement can
 * change where this pod may go. Empty when the pod has no such constraint.
 */
export function interPodSelectors(pod: Pod): LabelSelector[] {
  const out: LabelSelector[] = [];
  const labels = pod.metadata.labels ?? {};
  const add = (selector: LabelSelector | undefined, matchLabelKeys: readonly string[] | undefined): void => {
    if (selector) out.push(selector);
    else {
      // An absent selector selects nothing, unless matchLabelKeys make one from the pod's own labels.
      const picked = pickLabels(labels, matchLabelKeys);
      if (Object.keys(picked).length > 0) out.push({ matchLabels: picked });
    }
  };
  for (const c of pod.spec.topologySpreadConstraints ?? []) add(c.labelSelector, c.matchLabelKeys);
  const aff = pod.spec.affinity;
  for (const group of [aff?.podAffinity, aff?.podAntiAffinity]) {
    for (const t of group?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(t.labelSelector, t.matchLabelKeys);
    for (const w of group?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(w.podAffinityTerm.labelSelector, w.podAffinityTerm.matchLabelKeys);
  }
  return out;
}

/** True when the pod has any inter-pod constraint (even one that selects no pod). */
export function hasInterPodTerms(pod: Pod): boolean {
  const aff = pod.spec.affinity;
  return (pod.spec.topologySpreadConstraints?.length ?? 0) > 0
    || [aff?.podAffinity, aff?.podAntiAffinity].some((g) =>
      (g?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) + (g?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0);
}

function pickLabels(labels: Readonly<Record<string, string>>, keys: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys ?? []) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}

/**
 * A placed pod that constrains pods around it wherever they go: it has required pod
 * anti-affinity (which repels matching pods from its whole topology domain) or host ports (which
 * only one pod per node may take).
 */
export function constrainsNeighbours(pod: Pod): boolean {
  if ((pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0) return true;
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    for (const p of c.ports ?? []) if ((p.hostPort ?? 0) > 0) return true;
  }
  return false;
}

/** True when the pod carries required pod anti-affinity (it matters beyond its own node). */
export function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}
