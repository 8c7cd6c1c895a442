/**
 * Nodes for the scheduling simulations, in two forms. The full form lists a node's pods, which
 * the solver needs when placement depends on other pods: topology spread, required pod
 * (anti-)affinity, host ports, or a pod already in the cluster with required anti-affinity. The
 * compact form lists no pods and subtracts their requests from allocatable instead: the same
 * answer for every other pod, at a fraction of the cost on large clusters.
 */
import type { Pod } from '../../apis/core.js';
import { podHostPorts } from '../../scheduling/host-ports.js';

/** Whether where the pod may go depends on the pods already on nodes. */
export function dependsOnOtherPods(pod: Pod): boolean {
  const s = pod.spec;
  if ((s.topologySpreadConstraints ?? []).some((c) => c.whenUnsatisfiable !== 'ScheduleAnyway')) return true;
  if ((s.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0) return true;
  if (hasRequiredAntiAffinity(pod)) return true;
  return podHostPorts(pod).length > 0;
}

/** A pod whose required anti-affinity keeps other pods away from it. */
export function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

/** Whether a simulation placing `pods` needs the full form of the nodes. */
export function needsFullNodes(pods: readonly Pod[], clusterHasRequiredAntiAffinity: boolean): boolean {
  return clusterHasRequiredAntiAffinity || pods.some(dependsOnOtherPods);
}
