/**
 * The solver's view of the cluster for one disruption pass, built once and shared by every
 * simulation of the pass ("could these candidates' pods go elsewhere?").
 *
 * At 5,000 nodes and 100,000 pods most of a solve would go to re-reading the pods already bound to
 * nodes. The solver reads those pods for four things only: the resources they use, their host
 * ports, topology counts for the terms of the pods being placed, and their own required
 * anti-affinity. So each node keeps only the pods that matter for one of those (host ports, required
 * anti-affinity, or labels some spread or affinity selector of a movable pod could select), and its
 * allocatable is reduced by the requests of the pods left out. The solve is the same; it is just
 * cheaper. When no pod involved has topology terms at all, nodes that cannot host even the smallest
 * pod being placed (or accept none) are also left out of each simulation.
 */
import type { LabelSelector, Pod } from '../../apis/core.js';
import type { LabelPredicate } from '../../apis/selectors.js';
import { compileSelector } from '../../apis/selectors.js';
import { podHostPorts } from '../../scheduling/host-ports.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { SolverNode, SolverNodePool, SolverOptions } from '../../scheduling/types.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';
import type { ResourceList } from '../../utils/resources.js';
import { addResources, CPU, MEMORY, PODS, subtractResources } from '../../utils/resources.js';
import type { LeavingNode, PoolInfo } from './types.js';

function safeRequests(pod: Pod): ResourceList {
  try {
    return podRequests(pod);
  } catch {
    return { [PODS]: 1 }; // as the solver and the cache count a pod whose quantities do not parse
  }
}

const hasRequiredAntiAffinity = (pod: Pod): boolean =>
  (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;

/** Every label selector of the pods' spread constraints and pod (anti-)affinity terms, compiled. */
function topologySelectors(pods: readonly Pod[]): LabelPredicate[] {
  const out: LabelPredicate[] = [];
  const seen = new Set<string>();
  const add = (selector: LabelSelector | undefined): void => {
    if (selector === undefined) return; // matches nothing
    const key = JSON.stringify(selector);
    if (seen.has(key)) return;
    seen.add(key);
    try {
      out.push(compileSelector(selector));
    } catch {
      // An invalid selector makes its pod unschedulable in the solver; it selects nothing here.
    }
  };
  for (const pod of pods) {
    for (const c of pod.spec.topologySpreadConstraints ?? []) add(c.labelSelector);
    const a = pod.spec.affinity;
    for (const t of a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(t.labelSelector);
    for (const t of a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(t.podAffinityTerm.labelSelector);
    for (const t of a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(t.labelSelector);
    for (const t of a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(t.podAffinityTerm.labelSelector);
  }
  return out;
}

const hasTopologyTerms = (pod: Pod): boolean => {
  const a = pod.spec.affinity;
  return (pod.spec.topologySpreadConstraints?.length ?? 0) > 0 || a?.podAffinity !== undefined || a?.podAntiAffinity !== undefined;
};

export interface SimulationBaseInput {
  readonly snapshot: ClusterSnapshot;
  readonly pools: ReadonlyMap<string, PoolInfo>;
  /** Pods waiting for capacity (pending, or unbound with direct binding): simulations place them too. */
  readonly pending: readonly Pod[];
  /** Pods of the machines this pass may simulate away (every candidate's reschedulable pods). */
  readonly candidatePods: readonly Pod[];
  readonly options?: SolverOptions;
}

export class SimulationBase {
  readonly snapshot: ClusterSnapshot;
  readonly pools: ReadonlyMap<string, PoolInfo>;
  readonly pending: readonly Pod[];
  readonly options: SolverOptions;
  readonly #nodes: SolverNode[] = [];
  /** Per node of #nodes: allocatable minus every pod's requests. */
  readonly #free: ResourceList[] = [];
  readonly #prunable: boolean;

  constructor(input: SimulationBaseInput) {
    const snapshot = (this.snapshot = input.snapshot);
    this.pools = input.pools;
    this.pending = input.pending;
    this.options = input.options ?? {};
    // Every pod any simulation of the pass may place; bound pods elsewhere get no topology terms.
    const movable = [...input.candidatePods, ...snapshot.reschedulablePods, ...input.pending];
    const selectors = topologySelectors(movable);
    let antiAffinity = false;
    const relevant = (pod: Pod): boolean => {
      if (hasRequiredAntiAffinity(pod)) {
        antiAffinity = true;
        return true;
      }
      if (podHostPorts(pod).length > 0) return true;
      const labels = pod.metadata.labels;
      return selectors.some((s) => s(labels));
    };
    const views = new Map(snapshot.stateNodes.map((v) => [v.name, v]));
    for (const node of snapshot.solverNodes) {
      const view = views.get(node.name);
      const kept = node.pods.filter(relevant);
      if (!view) {
        this.#nodes.push(node);
        this.#free.push(subtractResources(node.allocatable, addResources(...node.pods.map(safeRequests))));
        continue;
      }
      const free = subtractResources(node.allocatable, view.requested);
      this.#free.push(free);
      if (kept.length === node.pods.length) this.#nodes.push(node);
      else this.#nodes.push({ ...node, allocatable: kept.length === 0 ? free : addResources(free, ...kept.map(safeRequests)), pods: kept });
    }
    this.#prunable = selectors.length === 0 && !antiAffinity && !movable.some(hasTopologyTerms);
  }

  /**
   * The solver nodes for one simulation: all but the leaving ones; when no topology is involved,
   * also without nodes that accept no new pod or lack room for the smallest of `pods`.
   */
  solverNodes(exclude: ReadonlySet<string>, pods: readonly Pod[]): SolverNode[] {
    const out: SolverNode[] = [];
    if (!this.#prunable) {
      for (const n of this.#nodes) if (!exclude.has(n.name)) out.push(n);
      return out;
    }
    let minCpu = Infinity;
    let minMemory = Infinity;
    for (const p of pods) {
      const r = safeRequests(p);
      minCpu = Math.min(minCpu, r[CPU] ?? 0);
      minMemory = Math.min(minMemory, r[MEMORY] ?? 0);
    }
    this.#nodes.forEach((n, i) => {
      if (exclude.has(n.name) || n.unschedulable) return;
      const free = this.#free[i]!;
      if ((free[PODS] ?? 0) < 1 || (free[CPU] ?? 0) < minCpu || (free[MEMORY] ?? 0) < minMemory) return;
      out.push(n);
    });
    return out;
  }

  /** The pools for a simulation, their usage relieved of the leaving machines (they are going away). */
  solverPools(leaving: readonly LeavingNode[]): SolverNodePool[] {
    const out: SolverNodePool[] = [];
    for (const pool of this.pools.values()) {
      let usage = this.snapshot.nodePoolUsage.get(pool.name) ?? {};
      for (const l of leaving) if (l.nodePoolName === pool.name) usage = subtractResources(usage, { ...l.capacity, nodes: 1 });
      out.push({ nodePool: pool.nodePool, instanceTypes: pool.instanceTypes, usage });
    }
    return out;
  }
}
