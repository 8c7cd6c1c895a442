/**
 * The scheduling simulations of the Cluster Autoscaler, on the nodewright solver: which pending
 * pods fit on existing or upcoming nodes (and so need no scale-up), and the First-Fit Decreasing
 * estimate of how many nodes of a group the rest would take. Preferences are ignored, as the
 * scheduler's filters ignore them; pods are packed largest first onto nodes in order.
 */
import type { Pod } from '../../apis/core.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverNode, SolverVolumes } from '../../scheduling/types.js';
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
