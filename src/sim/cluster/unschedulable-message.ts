/**
 * The message kube-scheduler puts on a pod it could not place ("0/3 nodes are available: 2
 * Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}."), so a pending pod explains
 * itself in the simulator as it would in a cluster. Each existing node is counted under the first
 * filter it fails, in kube-scheduler's order (under each resource it is short of, for the resource
 * fit); reasons are listed alphabetically.
 */
import type { Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { firstUntoleratedTaint } from '../../scheduling/taints.js';
import type { ResourceList } from '../../utils/resources.js';
import type { ClusterView } from './cluster-view.js';
import type { LedgerNode } from './node-ledger.js';
import type { PlacedPod } from './solver-view.js';

/** What makes the solver refuse the pod before any node is looked at, if anything. */
function podProblem(pod: Pod, view: ClusterView): string | undefined {
  try {
    podRequests(pod);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const namespace = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = view.pvc(namespace, claim);
    if (!pvc) return `persistentvolumeclaim "${claim}" not found`;
    if (pvc.spec.volumeName && !view.pv(pvc.spec.volumeName)) return `persistentvolume "${pvc.spec.volumeName}" not found`;
  }
  return undefined;
}

function nodeReason(pod: Pod, requests: ResourceList, node: LedgerNode, placed: readonly PlacedPod[] | undefined): string[] {
  if (!node.ready) return ['node(s) were not ready'];
  if (node.cordoned) return ['node(s) were unschedulable'];
  const taint = firstUntoleratedTaint(pod.spec.tolerations, node.taints);
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (node.labels[k] !== v) return ["node(s) didn't match Pod's node affinity/selector"];
  }
  const short: string[] = [];
  for (const name in requests) {
    const want = requests[name]!;
    if (want <= 0) continue;
    let free = (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0);
    for (const p of placed ?? []) free -= p.requests[name] ?? 0;
    if (want > free) short.push(name === 'pods' ? 'Too many pods' : `Insufficient ${name}`);
  }
  if (short.length > 0) return short;
  return ["node(s) didn't satisfy the pod's affinity, topology spread or volume constraints"];
}

/**
 * kube-scheduler's message for a pod that fits no existing node, given the nodes as they stood in
 * the pass (with the pods `placed` earlier in it).
 */
export function unschedulableMessage(pod: Pod, requests: ResourceList, view: ClusterView, placed: ReadonlyMap<string, readonly PlacedPod[]>): string {
  const problem = podProblem(pod, view);
  if (problem !== undefined) return problem;
  const counts = new Map<string, number>();
  let total = 0;
  for (const node of view.ledger.nodes()) {
    if (node.node === undefined) continue;
    total++;
    for (const r of nodeReason(pod, requests, node, placed.get(node.name))) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  if (total === 0) return 'no nodes available to schedule pods';
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, n]) => `${n} ${r}`);
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}
