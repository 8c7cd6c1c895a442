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
import type { SolverNode, SolverVolumes } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import type { ViewNode } from './view-node.js';
import { Destinations } from './destinations.js';
import type { DrainRules, PdbTracker } from './drainability.js';
import { podsToMove, SCALE_DOWN_DISABLED_ANNOTATION } from './drainability.js';
import { needsFullNodes } from './simulation-nodes.js';

export interface Utilization {
  readonly cpu: number;
  readonly memory: number;
  /** max(cpu, memory): what the threshold is compared with. */
  readonly max: number;
}

/** Requested / allocatable of the node's pods (DaemonSet pods left out when asked). */
export function utilizationOf(view: ViewNode, ignoreDaemonSets: boolean): Utilization {
  const ds = ignoreDaemonSets ? view.daemonSetRequests : {};
  const cpu = (view.requests[CPU] ?? 0) - (ds[CPU] ?? 0);
  const memory = (view.requests[MEMORY] ?? 0) - (ds[MEMORY] ?? 0);
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
  /** Where the simulation put them: pod → node. */
  readonly destinations: ReadonlyMap<Pod, string>;
  /** The same by pod uid, with the destination's scheduling key then: the next plan's hints. */
  readonly hints: Hints;
}

/** Pod uid → where it went and the scheduling key that node had. */
export type Hints = ReadonlyMap<string, { readonly node: string; readonly key: string }>;

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
  readonly volumes?: SolverVolumes;
  /** Some bound pod has required pod anti-affinity: simulate with full nodes. */
  readonly clusterHasRequiredAntiAffinity?: boolean;
  /**
   * Where each candidate's pods went in the previous plan. When every pod of a candidate can go
   * where it went before (the node unchanged to a simulation, with room left), that is the
   * answer, as with the Cluster Autoscaler's hinting simulator. Compact simulations only.
   */
  readonly hints?: ReadonlyMap<string, Hints>;
}

export interface ScaleDownPlan {
  readonly unneeded: readonly UnneededNode[];
  /** Candidates that were found not removable, and why. */
  readonly notRemovable: ReadonlyMap<string, string>;
}

const SIMULATION = { ignorePreferences: true, optimizeCost: false } as const;
/** Compact simulations first try this many destinations with room (plus one per pod). */
const PREFIX = 4;

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

  const destinations = new Destinations(input.nodes);
  const unneeded: UnneededNode[] = [];
  let newNonEmpty = 0;
  for (const c of candidates) {
    const moving = podsToMove(c.view.pods, input.rules, input.pdbs);
    if ('blocker' in moving) {
      notRemovable.set(c.view.name, moving.blocker.message);
      continue;
    }
    if (moving.pods.length > 0 && !previous.has(c.view.name) && ++newNonEmpty > input.maxNewNonEmpty) continue;
    const full = needsFullNodes(moving.pods, input.clusterHasRequiredAntiAffinity ?? false);
    const placed = moving.pods.length === 0
      ? new Map<Pod, string>()
      : simulate(moving.pods, c.view.name, destinations, full, input.volumes, input.hints?.get(c.view.name));
    if (placed === undefined) {
      notRemovable.set(c.view.name, `its ${moving.pods.length} pods do not all fit on other nodes`);
      continue;
    }
    destinations.remove(c.view.name);
    const hints = new Map<string, { node: string; key: string }>();
    for (const [pod, node] of placed) {
      hints.set(pod.metadata.uid ?? '', { node, key: destinations.key(node) ?? '' });
      destinations.place(pod, node, requestsOf(pod));
    }
    input.pdbs.remove(moving.pods);
    unneeded.push({ name: c.view.name, group: c.group, utilization: c.utilization, pods: moving.pods, destinations: placed, hints });
  }
  return { unneeded, notRemovable };
}

/** Every pod where the hints say, if each such node is unchanged and has room; else undefined. */
function followHints(pods: readonly Pod[], requests: readonly ResourceList[], self: string, destinations: Destinations, hints: Hints): Map<Pod, string> | undefined {
  const used = new Map<string, Record<string, number>>();
  const placed = new Map<Pod, string>();
  for (let i = 0; i < pods.length; i++) {
    const hint = hints.get(pods[i]!.metadata.uid ?? '');
    if (!hint || hint.node === self || destinations.key(hint.node) !== hint.key) return undefined;
    const free = destinations.free(hint.node)!;
    const taken = used.get(hint.node) ?? {};
    for (const [r, amount] of Object.entries(requests[i]!)) {
      if ((taken[r] ?? 0) + amount > (free[r] ?? 0)) return undefined;
    }
    for (const [r, amount] of Object.entries(requests[i]!)) taken[r] = (taken[r] ?? 0) + amount;
    used.set(hint.node, taken);
    placed.set(pods[i]!, hint.node);
  }
  return placed;
}

function requestsOf(pod: Pod): ResourceList {
  try {
    return podRequests(pod);
  } catch {
    return { [PODS]: 1 };
  }
}

/** Where the pods would go on the other nodes, or undefined when one fits nowhere. */
function simulate(
  pods: readonly Pod[], self: string, destinations: Destinations, full: boolean, volumes: SolverVolumes | undefined, hints: Hints | undefined,
): Map<Pod, string> | undefined {
  const attempt = (nodes: SolverNode[]): Map<Pod, string> | undefined => {
    const result = solve({ pods, nodePools: [], nodes, volumes, options: SIMULATION });
    if (result.unschedulable.length > 0) return undefined;
    const placed = new Map<Pod, string>();
    for (const p of result.existingNodes) for (const pod of p.pods) placed.set(pod, p.node);
    return placed.size === pods.length ? placed : undefined;
  };
  if (full) return attempt(destinations.select(self, true).nodes);
  const all = pods.map(requestsOf);
  const hinted = hints ? followHints(pods, all, self, destinations, hints) : undefined;
  if (hinted) return hinted;
  const smallest = { [CPU]: Math.min(...all.map((r) => r[CPU] ?? 0)), [MEMORY]: Math.min(...all.map((r) => r[MEMORY] ?? 0)) };
  const first = destinations.select(self, false, smallest, PREFIX + pods.length);
  const placed = attempt(first.nodes);
  if (placed || !first.truncated) return placed;
  return attempt(destinations.select(self, false, smallest).nodes);
}
