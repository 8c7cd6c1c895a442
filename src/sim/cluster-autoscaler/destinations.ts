/**
 * Where a scale-down simulation may move pods: the ready nodes not being deleted, in name order,
 * in both forms of simulation-nodes.ts, updated as candidates are found removable (a removed
 * node takes no pods; a node that received pods has less room).
 */
import type { Pod } from '../../apis/core.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';
import { CPU, MEMORY, PODS, subtractResources } from '../../utils/resources.js';
import type { ViewNode } from './view-node.js';

export interface Selection {
  readonly nodes: SolverNode[];
  /** Nodes with room were left out to honour the limit. */
  readonly truncated: boolean;
}

export class Destinations {
  readonly #order: string[] = [];
  readonly #full = new Map<string, SolverNode>();
  readonly #compact = new Map<string, SolverNode>();
  readonly #keys = new Map<string, string>();

  constructor(nodes: readonly ViewNode[]) {
    for (const v of nodes) {
      if (v.deleting || !v.ready) continue;
      this.#order.push(v.name);
      this.#full.set(v.name, v.solverNode);
      this.#compact.set(v.name, v.compact);
      this.#keys.set(v.name, v.schedulingKey);
    }
  }

  /** The node's scheduling key (cluster-view.ts), while it is a destination. */
  key(name: string): string | undefined {
    return this.#compact.has(name) ? this.#keys.get(name) : undefined;
  }

  /** What the node has left, while it is a destination. */
  free(name: string): ResourceList | undefined {
    return this.#compact.get(name)?.allocatable;
  }

  remove(name: string): void {
    this.#full.delete(name);
    this.#compact.delete(name);
  }

  /** Records the pod (with these requests) as moved to `node`. */
  place(pod: Pod, node: string, requests: ResourceList): void {
    const full = this.#full.get(node);
    const compact = this.#compact.get(node);
    if (!full || !compact) return;
    this.#full.set(node, { ...full, pods: [...full.pods, pod] });
    this.#compact.set(node, { ...compact, allocatable: subtractResources(compact.allocatable, requests) });
  }

  /**
   * The destinations other than `self`. Full form: all of them. Compact form: those with room for
   * `smallest` (cpu, memory and a pod slot), at most `limit` (first fit only ever uses the first
   * nodes with room, so a prefix answers the same when it places everything).
   */
  select(self: string, full: boolean, smallest: ResourceList = {}, limit = Number.POSITIVE_INFINITY): Selection {
    const nodes: SolverNode[] = [];
    for (const name of this.#order) {
      if (name === self) continue;
      if (full) {
        const n = this.#full.get(name);
        if (n) nodes.push(n);
        continue;
      }
      const n = this.#compact.get(name);
      if (!n || !hasRoom(n.allocatable, smallest)) continue;
      if (nodes.length >= limit) return { nodes, truncated: true };
      nodes.push(n);
    }
    return { nodes, truncated: false };
  }
}

function hasRoom(free: ResourceList, need: ResourceList): boolean {
  return (free[CPU] ?? 0) >= (need[CPU] ?? 0) && (free[MEMORY] ?? 0) >= (need[MEMORY] ?? 0) && (free[PODS] ?? 0) >= 1;
}
