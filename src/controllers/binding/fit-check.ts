/**
 * Whether planned pods still fit on their node, judged by the same solver that planned them
 * (resources against allocatable minus what is bound, taints, node selector and affinity, host
 * ports, volume topology, pod (anti-)affinity and spread against the pods on every node). Every
 * other node is offered as unschedulable, so it counts for topology but takes nothing.
 */
import type { Pod } from '../../apis/core.js';
import { solve } from '../../scheduling/solver.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';

export interface FitResult {
  /** Pods that fit on the node, together. */
  readonly fits: readonly Pod[];
  /** Pods that do not (any more). */
  readonly misfits: readonly Pod[];
}

/**
 * Splits `pods` into those that fit on the solver node named `node` and those that do not.
 * `alsoOnNode`: pods bound there that the snapshot does not show yet.
 */
export function fitOnNode(
  snapshot: ClusterSnapshot,
  node: string,
  pods: readonly Pod[],
  alsoOnNode: readonly Pod[],
  ignorePreferences: boolean,
): FitResult {
  let found = false;
  const nodes = snapshot.solverNodes.map((n) => {
    if (n.name !== node) return n.unschedulable ? n : { ...n, unschedulable: true };
    found = true;
    return alsoOnNode.length > 0 ? { ...n, pods: [...n.pods, ...alsoOnNode] } : n;
  });
  if (!found) return { fits: [], misfits: pods };
  const result = solve({ pods, nodePools: [], nodes, volumes: snapshot.volumes, options: { ignorePreferences } });
  const fits = result.existingNodes.find((e) => e.node === node)?.pods ?? [];
  const placed = new Set(fits);
  return { fits, misfits: pods.filter((p) => !placed.has(p)) };
}
