/**
 * One node as the Cluster Autoscaler simulates with it (built by the cluster view for each node
 * whose objects changed): readiness, deletion, its pods and their requests, and the node in the
 * two forms of simulation-nodes.ts.
 */
import type { Node, Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { SolverNode } from '../../scheduling/types.js';
import { failedToSchedule, isActive, isOwnedByDaemonSet } from '../../state/pod-predicates.js';
import type { ResourceList } from '../../utils/resources.js';
import { resourcesFromQuantities, subtractResources } from '../../utils/resources.js';
import { SCALE_DOWN_DISABLED_ANNOTATION } from './drainability.js';
import { hasRequiredAntiAffinity } from './simulation-nodes.js';
import { TO_BE_DELETED_TAINT_KEY } from './taints.js';

/** A node as the autoscaler simulates with it. */
export interface ViewNode {
  readonly node: Node;
  readonly name: string;
  readonly ready: boolean;
  /** Carries the autoscaler's hard taint, or is cordoned: no pod goes there. */
  readonly deleting: boolean;
  readonly allocatable: ResourceList;
  /** Bound pods that still hold resources (not Succeeded or Failed). */
  readonly pods: readonly Pod[];
  /** Their requests, all of them and the DaemonSet pods' alone. */
  readonly requests: ResourceList;
  readonly daemonSetRequests: ResourceList;
  /** Bound pods with required pod anti-affinity. */
  readonly antiAffinityPods: number;
  /** The node with its pods, for simulations that need them (simulation-nodes.ts). */
  readonly solverNode: SolverNode;
  /** The node without pods, their requests taken off allocatable. */
  readonly compact: SolverNode;
  /** Equal for two states of the node that every scheduling simulation treats alike. */
  readonly schedulingKey: string;
}

/**
 * What of a node a simulation looks at, besides its pods: labels, taints other than
 * PreferNoSchedule (the autoscaler's soft taint among them), allocatable, readiness, cordon and
 * the scale-down-disabled annotation.
 */
export function schedulingKey(node: Node): string {
  return JSON.stringify([
    node.metadata.labels ?? {}, (node.spec?.taints ?? []).filter((t) => t.effect !== 'PreferNoSchedule'), node.status?.allocatable ?? {},
    isNodeReady(node), !!node.spec?.unschedulable, node.metadata.annotations?.[SCALE_DOWN_DISABLED_ANNOTATION] ?? '',
  ]);
}

/** A pod kube-scheduler could not place: unbound, active, PodScheduled=False/Unschedulable. */
export function isUnschedulable(pod: Pod): boolean {
  return !pod.spec.nodeName && isActive(pod) && failedToSchedule(pod);
}

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The view of `node` with these bound, unfinished pods (sorted). */
export function buildViewNode(node: Node, pods: readonly Pod[]): ViewNode {
  const name = node.metadata.name ?? '';
  let allocatable: ResourceList;
  try {
    allocatable = resourcesFromQuantities(node.status?.allocatable);
  } catch {
    allocatable = {};
  }
  const ready = isNodeReady(node);
  const deleting = !!node.spec?.unschedulable || (node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT_KEY);
  const requests: Record<string, number> = {};
  const daemonSetRequests: Record<string, number> = {};
  let antiAffinityPods = 0;
  for (const pod of pods) {
    let r: ResourceList;
    try {
      r = podRequests(pod);
    } catch {
      r = { pods: 1 }; // as the solver counts a pod whose quantities do not parse
    }
    const ds = isOwnedByDaemonSet(pod);
    for (const k in r) {
      requests[k] = (requests[k] ?? 0) + r[k]!;
      if (ds) daemonSetRequests[k] = (daemonSetRequests[k] ?? 0) + r[k]!;
    }
    if (hasRequiredAntiAffinity(pod)) antiAffinityPods++;
  }
  const base = { name, labels: node.metadata.labels ?? {}, taints: node.spec?.taints ?? [], inFlight: !ready, unschedulable: deleting };
  return {
    node, name, ready, deleting, allocatable, pods, requests, daemonSetRequests, antiAffinityPods,
    solverNode: { ...base, allocatable, pods },
    compact: { ...base, allocatable: subtractResources(allocatable, requests), pods: [] },
    schedulingKey: schedulingKey(node),
  };
}
