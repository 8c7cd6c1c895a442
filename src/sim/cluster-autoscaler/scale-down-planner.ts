/**
 * Which nodes the Cluster Autoscaler finds unneeded in one pass. A node of a node group is a
 * candidate when max(cpu, memory) requested / allocatable is below the threshold, it is not being
 * deleted and not annotated scale-down-disabled. Candidates are then simulated one at a time: the
 * pods it would have to move must all be movable (drainability.ts) and must all fit on the other
 * nodes, counting the pods moved there for earlier candidates and leaving out the nodes already
 * found removable. Nodes unneeded in the previous pass are re-checked first; beyond them at most
 * `maxNewNonEmpty` non-empty nodes are simulated per pass.
 */
import type { Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverNode } from '../../scheduling/types.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import type { ViewNode } from './cluster-view.js';
import { isDaemonSetPod } from './cluster-view.js';
import type { Blocker, DrainRules, PdbTracker } from './drainability.js';
import { podsToMove, SCALE_DOWN_DISABLED_ANNOTATION } from './drainability.js';

export interface Utilization {
  readonly cpu: number;
  readonly memory: number;
  /** max(cpu, memory): what the threshold is compared with. */
  readonly max: number;
}

/** Requested / allocatable of the node's pods (DaemonSet pods left out when asked). */
export function utilizationOf(view: ViewNode, ignoreDaemonSets: boolean): Utilization {
  let cpu = 0;
  let memory = 0;
  for (const pod of view.pods) {
    if (ignoreDaemonSets && isDaemonSetPod(pod)) continue;
    try {
      const r = podRequests(pod);
      cpu += r[CPU] ?? 0;
      memory += r[MEMORY] ?? 0;
    } catch {
      // A malformed pod requests nothing the scheduler could count.
    }
  }
  const share = (used: number, total: number | undefined): number => (total && total > 0 ? used / total : used > 0 ? 1 : 0);
  const u = { cpu: share(cpu, view.allocatable[CPU]), memory: share(memory, view.allocatable[MEMORY]) };
  return { ...u, max: Math.max(u.cpu, u.memory) };
}

export interface UnneededNode {
  readonly name: string;
  readonly group: string;
  readonly utilization: Utilization;
  /** The pods its removal would move (none: the node is empty). */
  readonly pods: readonly Pod[];
  /** Where the simulation put them: pod "namespace/name" → node. */
  readonly destinations: ReadonlyMap<Pod, string>;
}

export interface PlanInput {
  readonly nodes: readonly ViewNode[];
  /** The node group of a node, as the autoscaler knows it (undefined: not autoscaled). */
  readonly groupOf: (view: ViewNode) => string | undefined;
  /** Names of the nodes unneeded in the previous pass, in the order to re-check them. */
  readonly previouslyUnneeded: readonly string[];
  readonly threshold: number;
  readonly ignoreDaemonSetsUtilization: boolean;
  readonly maxNewNonEmpty: number;
  readonly rules: DrainRules;
  readonly pdbs: PdbTracker;
}

export interface ScaleDownPlan {
  readonly unneeded: readonly UnneededNode[];
  /** Candidates that were found not removable, and why. */
  readonly notRemovable: ReadonlyMap<string, string>;
}

const SIMULATION = { ignorePreferences: true, optimizeCost: false } as const;

export function planUnneeded(input: PlanInput): ScaleDownPlan {
  const candidates: { view: ViewNode; group: string; utilization: Utilization }[] = [];
  const notRemovable = new Map<string, string>();
  for (const view of input.nodes) {
    const group = input.groupOf(view);
    if (group === undefined || view.deleting) continue;
    if (view.node.metadata.annotations?.[SCALE_DOWN_DISABLED_ANNOTATION] === 'true') {
      notRemovable.set(view.name, `annotated ${SCALE_DOWN_DISABLED_ANNOTATION}`);
      continue;
    }
    const utilization = utilizationOf(view, input.ignoreDaemonSetsUtilization);
    if (utilization.max >= input.threshold) continue;
    candidates.push({ view, group, utilization });
  }
  const previous = new Map(input.previouslyUnneeded.map((n, i) => [n, i]));
  candidates.sort((a, b) => {
    const pa = previous.get(a.view.name);
    const pb = previous.get(b.view.name);
    if (pa !== undefined || pb !== undefined) return (pa ?? Infinity) - (pb ?? Infinity);
    return a.utilization.max - b.utilization.max || (a.view.name < b.view.name ? -1 : 1);
  });

  // Destinations: every node that takes pods, with the pods moved there so far.
  const destinations = new Map<string, SolverNode>();
  for (const v of input.nodes) if (!v.deleting && v.ready) destinations.set(v.name, v.solverNode);
  const unneeded: UnneededNode[] = [];
  let newNonEmpty = 0;
  for (const c of candidates) {
    const moving = podsToMove(c.view.pods, input.rules, input.pdbs);
    if ('blocker' in moving) {
      notRemovable.set(c.view.name, describe(moving.blocker));
      continue;
    }
    if (moving.pods.length > 0 && !previous.has(c.view.name) && ++newNonEmpty > input.maxNewNonEmpty) continue;
    const placed = moving.pods.length === 0 ? new Map<Pod, string>() : simulate(moving.pods, c.view.name, destinations);
    if (placed === undefined) {
      notRemovable.set(c.view.name, `its ${moving.pods.length} pods do not all fit on other nodes`);
      continue;
    }
    destinations.delete(c.view.name);
    for (const [pod, node] of placed) {
      const d = destinations.get(node)!;
      destinations.set(node, { ...d, pods: [...d.pods, pod] });
    }
    input.pdbs.remove(moving.pods);
    unneeded.push({ name: c.view.name, group: c.group, utilization: c.utilization, pods: moving.pods, destinations: placed });
  }
  return { unneeded, notRemovable };
}

/** Where the pods would go on the other nodes, or undefined when one fits nowhere. */
function simulate(pods: readonly Pod[], self: string, destinations: ReadonlyMap<string, SolverNode>): Map<Pod, string> | undefined {
  const nodes = [...destinations.values()].filter((n) => n.name !== self);
  const result = solve({ pods, nodePools: [], nodes, options: SIMULATION });
  if (result.unschedulable.length > 0) return undefined;
  const placed = new Map<Pod, string>();
  for (const p of result.existingNodes) for (const pod of p.pods) placed.set(pod, p.node);
  return placed.size === pods.length ? placed : undefined;
}

function describe(b: Blocker): string {
  return b.message;
}
