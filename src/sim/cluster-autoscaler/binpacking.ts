/**
 * The scheduling simulations of the Cluster Autoscaler, on the nodewright solver: which pending
 * pods fit on existing or upcoming nodes (and so need no scale-up), and the First-Fit Decreasing
 * estimate of how many nodes of a group the rest would take. Preferences are ignored, as the
 * scheduler's filters ignore them; pods are packed largest first onto nodes in order.
 */
import type { Pod } from '../../apis/core.js';
import { cachedPodRequests } from '../../scheduling/object-facts.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverNode, SolverVolumes } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import type { GroupTemplate } from './templates.js';
import { templateNodes } from './templates.js';

const SIMULATION = { ignorePreferences: true, optimizeCost: false } as const;

export interface SchedulableFilter {
  /** Pods that fit nowhere: these need a scale-up. */
  readonly remaining: readonly Pod[];
  readonly onExisting: number;
  readonly onUpcoming: number;
}

/**
 * Places the pods on the existing nodes, then on the upcoming ones (nodes a group was asked for
 * that have not registered yet); what fits is left out of the scale-up.
 */
export function filterOutSchedulable(pods: readonly Pod[], existing: readonly SolverNode[], upcoming: readonly SolverNode[], volumes?: SolverVolumes): SchedulableFilter {
  if (pods.length === 0) return { remaining: [], onExisting: 0, onUpcoming: 0 };
  const upcomingNames = new Set(upcoming.map((n) => n.name));
  const result = solve({ pods, nodePools: [], nodes: [...existing, ...upcoming.map((n) => ({ ...n, inFlight: true }))], volumes, options: SIMULATION });
  let onExisting = 0;
  let onUpcoming = 0;
  for (const placement of result.existingNodes) {
    if (upcomingNames.has(placement.node)) onUpcoming += placement.pods.length;
    else onExisting += placement.pods.length;
  }
  const placed = new Set(result.existingNodes.flatMap((p) => p.pods));
  return { remaining: pods.filter((p) => !placed.has(p)), onExisting, onUpcoming };
}

/** Free room of `count` alike nodes (allocatable less what their pods request, as the solver counts it). */
export interface Room {
  readonly free: ResourceList;
  readonly count: number;
}

/**
 * True only when filterOutSchedulable would certainly leave some of the pods out, judged by cpu
 * and memory alone: their requests together exceed the free room of all the nodes together, or
 * one pod's exceed every node's. (The solver places no pod beyond a node's free room, so neither
 * can hold when it places them all; false says nothing.) Pods whose requests do not parse are
 * left out of the sums.
 */
export function someCannotFit(pods: readonly Pod[], rooms: readonly Room[]): boolean {
  let totalCpu = 0;
  let totalMemory = 0;
  let maxCpu = 0;
  let maxMemory = 0;
  for (const r of rooms) {
    if (r.count <= 0) continue;
    const cpu = Math.max(0, r.free[CPU] ?? 0);
    const memory = Math.max(0, r.free[MEMORY] ?? 0);
    totalCpu += cpu * r.count;
    totalMemory += memory * r.count;
    maxCpu = Math.max(maxCpu, cpu);
    maxMemory = Math.max(maxMemory, memory);
  }
  let needCpu = 0;
  let needMemory = 0;
  for (const pod of pods) {
    let req: ResourceList;
    try {
      req = cachedPodRequests(pod);
    } catch {
      continue;
    }
    const cpu = req[CPU] ?? 0;
    const memory = req[MEMORY] ?? 0;
    if (cpu > maxCpu || memory > maxMemory) return true;
    needCpu += cpu;
    needMemory += memory;
  }
  return needCpu > totalCpu || needMemory > totalMemory;
}

/**
 * What filterOutSchedulable's answer depends on besides the pods: equal keys mean the same
 * existing nodes (as a simulation sees them), the same upcoming nodes and the same volumes.
 */
export interface FilterKey {
  /** Moves whenever anything a simulation sees of the existing nodes changes (ClusterView.generation). */
  readonly nodesGeneration: number;
  /** Whether the existing nodes were given in their full form (with their pods). */
  readonly full: boolean;
  readonly volumes: SolverVolumes | undefined;
  /** Per group with upcoming nodes: its name, how many, and its template (by identity). */
  readonly upcoming: readonly (readonly [string, number, GroupTemplate])[];
}

/**
 * The last filterOutSchedulable answer, given again while its key and the pods (the same objects
 * in the same order) are unchanged: pods that stay unschedulable are looked at every scan
 * interval, mostly in a cluster that has not changed since.
 */
export class SchedulableFilterMemo {
  #last: { key: FilterKey; pods: readonly Pod[]; result: SchedulableFilter } | undefined;
  /** Answers given again, and worked out (for tests and profiling). */
  readonly stats = { hits: 0, misses: 0 };

  filter(pods: readonly Pod[], key: FilterKey, simulate: () => SchedulableFilter): SchedulableFilter {
    const last = this.#last;
    if (last && sameKey(last.key, key) && samePods(last.pods, pods)) {
      this.stats.hits++;
      return last.result;
    }
    this.stats.misses++;
    const result = simulate();
    this.#last = { key, pods: [...pods], result };
    return result;
  }
}

function sameKey(a: FilterKey, b: FilterKey): boolean {
  if (a.nodesGeneration !== b.nodesGeneration || a.full !== b.full || a.volumes !== b.volumes || a.upcoming.length !== b.upcoming.length) return false;
  for (let i = 0; i < a.upcoming.length; i++) {
    const x = a.upcoming[i]!;
    const y = b.upcoming[i]!;
    if (x[0] !== y[0] || x[1] !== y[1] || x[2] !== y[2]) return false;
  }
  return true;
}

function samePods(a: readonly Pod[], b: readonly Pod[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface Estimate {
  /** New nodes of the group the pods would take. */
  readonly nodeCount: number;
  /** The pods that would fit on them. */
  readonly pods: readonly Pod[];
}

/**
 * First-Fit Decreasing onto at most `maxNodes` new nodes like the template: the pods largest
 * first, each on the first new node with room. Pods that fit no template node (or no node within
 * `maxNodes`) are left out of `pods`.
 */
export function estimateNodes(template: GroupTemplate, pods: readonly Pod[], maxNodes: number, volumes?: SolverVolumes): Estimate {
  const count = Math.min(pods.length, Math.max(0, Math.floor(maxNodes)));
  if (count === 0) return { nodeCount: 0, pods: [] };
  const nodes = templateNodes(template, count, `template-${template.group}`);
  const result = solve({ pods, nodePools: [], nodes, volumes, options: SIMULATION });
  const placed = new Set(result.existingNodes.flatMap((p) => p.pods));
  return { nodeCount: result.existingNodes.length, pods: pods.filter((p) => placed.has(p)) };
}
