/**
 * What a pod is, as far as provisioning and disruption care: pending for capacity, movable, owned
 * by a DaemonSet, finished. Karpenter's definitions (pkg/utils/pod), so the same pods count.
 */
import type { Pod } from '../apis/core.js';

/** Succeeded or Failed: the pod holds no resources any more. */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Being deleted (has a deletionTimestamp). */
export function isTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** Neither finished nor being deleted. */
export function isActive(pod: Pod): boolean {
  return !isTerminal(pod) && !isTerminating(pod);
}

function isOwnedBy(pod: Pod, kind: string): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.kind === kind) ?? false;
}

export const isOwnedByDaemonSet = (pod: Pod): boolean => isOwnedBy(pod, 'DaemonSet');
export const isOwnedByStatefulSet = (pod: Pod): boolean => isOwnedBy(pod, 'StatefulSet');
/** A static (mirror) pod: its owner is the Node itself. */
export const isOwnedByNode = (pod: Pod): boolean => isOwnedBy(pod, 'Node');

/** kube-scheduler tried and found no node: PodScheduled=False with reason Unschedulable. */
export function failedToSchedule(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') ?? false;
}

/** The scheduler is preempting other pods to make room for this one (status.nominatedNodeName). */
export function isPreempting(pod: Pod): boolean {
  return !!pod.status?.nominatedNodeName;
}

/**
 * A pod that new capacity should be made for: kube-scheduler marked it Unschedulable, it is not
 * bound, not preempting, not owned by a DaemonSet (those follow nodes) or a Node (static pods),
 * and neither finished nor being deleted. (Karpenter's IsProvisionable, plus the last two guards,
 * which Karpenter applies elsewhere.)
 */
export function isProvisionable(pod: Pod): boolean {
  return !pod.spec.nodeName
    && failedToSchedule(pod)
    && !isPreempting(pod)
    && !isOwnedByDaemonSet(pod)
    && !isOwnedByNode(pod)
    && isActive(pod);
}

/**
 * A pod waiting for a node whether or not a scheduler has looked at it: not bound, active, not a
 * DaemonSet or static pod. With direct binding there is no kube-scheduler to mark pods
 * Unschedulable, so these are the pods to place.
 */
export function isUnbound(pod: Pod): boolean {
  return !pod.spec.nodeName && isActive(pod) && !isOwnedByDaemonSet(pod) && !isOwnedByNode(pod);
}

/**
 * A pod on a node being disrupted that must find room elsewhere: active (or a terminating
 * StatefulSet pod, which is recreated only once gone, so its replacement needs room), and not a
 * DaemonSet or static pod. (Karpenter's IsReschedulable.)
 */
export function isReschedulable(pod: Pod): boolean {
  return (isActive(pod) || (isOwnedByStatefulSet(pod) && isTerminating(pod) && !isTerminal(pod)))
    && !isOwnedByDaemonSet(pod)
    && !isOwnedByNode(pod);
}
