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
import type { LedgerNode, NodeLedger } from './node-ledger.js';
import type { PlacedPod } from './solver-view.js';

/** What the message is worked out from: the nodes, and the volumes pods claim. */
export type MessageView = Pick<ClusterView, 'ledger' | 'pvc' | 'pv'>;

/** What makes the solver refuse the pod before any node is looked at, if anything. */
function podProblem(pod: Pod, view: MessageView): string | undefined {
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
 * the pass (with the pods `placed` earlier in it), worked out over every node (UnschedulableMessages
 * gives the same message for what changed since its last one).
 */
export function unschedulableMessage(pod: Pod, requests: ResourceList, view: MessageView, placed: ReadonlyMap<string, readonly PlacedPod[]>): string {
  const problem = podProblem(pod, view);
  if (problem !== undefined) return problem;
  const counts = new Map<string, number>();
  let total = 0;
  for (const node of view.ledger.nodes()) {
    if (node.node === undefined) continue;
    total++;
    count(counts, nodeReason(pod, requests, node, placed.get(node.name)), 1);
  }
  return format(counts, total);
}

function count(counts: Map<string, number>, reasons: readonly string[], by: 1 | -1): void {
  for (const r of reasons) {
    const n = (counts.get(r) ?? 0) + by;
    if (n === 0) counts.delete(r);
    else counts.set(r, n);
  }
}

function format(counts: ReadonlyMap<string, number>, total: number): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, n]) => `${n} ${r}`);
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** One pod shape's reasons per node and their counts, as of a ledger journal position. */
interface ShapeReasons {
  ledger: NodeLedger;
  position: number;
  readonly byNode: Map<LedgerNode, readonly string[]>;
  readonly counts: Map<string, number>;
  total: number;
}

/** Pod shapes UnschedulableMessages keeps reasons for (a pass fails pods of a few workloads). */
const SHAPES_KEPT = 16;

/**
 * unschedulableMessage, keeping per pod shape (what a node's reason depends on: requests,
 * tolerations and node selector) every node's reason and their counts, brought up to date from
 * the ledger's journal: a message costs the nodes that changed since the shape's last one (and
 * those given pods earlier in the pass) instead of every node.
 */
export class UnschedulableMessages {
  readonly #shapes = new Map<string, ShapeReasons>();

  /** unschedulableMessage(pod, requests, view, placed). */
  message(pod: Pod, requests: ResourceList, view: MessageView, placed: ReadonlyMap<string, readonly PlacedPod[]>): string {
    const problem = podProblem(pod, view);
    if (problem !== undefined) return problem;
    const ledger = view.ledger;
    const shape = this.#synced(pod, requests, ledger);
    if (placed.size === 0) return format(shape.counts, shape.total);
    const counts = new Map(shape.counts);
    for (const [name, earlier] of placed) {
      const node = ledger.node(name);
      if (node?.node === undefined) continue;
      count(counts, shape.byNode.get(node)!, -1);
      count(counts, nodeReason(pod, requests, node, earlier), 1);
    }
    return format(counts, shape.total);
  }

  #synced(pod: Pod, requests: ResourceList, ledger: NodeLedger): ShapeReasons {
    const key = JSON.stringify([requests, pod.spec.tolerations, pod.spec.nodeSelector]);
    let shape = this.#shapes.get(key);
    const changes = shape?.ledger === ledger ? ledger.changedSince(shape.position) : undefined;
    if (shape === undefined || changes === undefined) {
      if (shape === undefined && this.#shapes.size >= SHAPES_KEPT) this.#shapes.clear();
      shape = { ledger, position: ledger.journalEnd, byNode: new Map(), counts: new Map(), total: 0 };
      this.#shapes.set(key, shape);
      for (const node of ledger.nodes()) if (node.node !== undefined) this.#add(shape, node, nodeReason(pod, requests, node, undefined));
      return shape;
    }
    shape.position = ledger.journalEnd;
    const seen = new Set<LedgerNode>();
    for (const node of changes) {
      if (seen.has(node)) continue;
      seen.add(node);
      const old = shape.byNode.get(node);
      if (old !== undefined) {
        count(shape.counts, old, -1);
        shape.byNode.delete(node);
        shape.total--;
      }
      // Forgotten entries are gone; entries without a node are not counted.
      if (ledger.node(node.name) === node && node.node !== undefined) this.#add(shape, node, nodeReason(pod, requests, node, undefined));
    }
    return shape;
  }

  #add(shape: ShapeReasons, node: LedgerNode, reasons: readonly string[]): void {
    shape.byNode.set(node, reasons);
    count(shape.counts, reasons, 1);
    shape.total++;
  }
}
