/**
 * One scale-up attempt of a Cluster Autoscaler pass: the pods to help (pending-pods.ts), minus
 * those that fit on existing or upcoming nodes; per node group not backed off and below its
 * maximum, the equivalence groups whose pods fit its template and a First-Fit Decreasing estimate
 * of the nodes they need; the expander's choice; one group resized.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { cachedPodRequests } from '../../scheduling/object-facts.js';
import type { SolverNode, SolverVolumes } from '../../scheduling/types.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import type { Random } from '../../utils/random.js';
import type { NodeGroupBackoff } from './backoff.js';
import type { Room, SchedulableFilter, SchedulableFilterMemo } from './binpacking.js';
import { estimateNodes, filterOutSchedulable, someCannotFit } from './binpacking.js';
import type { ViewNode } from './view-node.js';
import type { ExpansionOption } from './expander.js';
import { expand, wasteOf } from './expander.js';
import type { GroupState } from './group-state.js';
import type { ClusterAutoscalerOptions } from './options.js';
import { equivalenceGroups, selectPendingPods } from './pending-pods.js';
import { needsFullNodes } from './simulation-nodes.js';
import { templateNodes } from './templates.js';

export interface ScaleUpInput {
  readonly now: number;
  readonly options: ClusterAutoscalerOptions;
  readonly unschedulable: readonly Pod[];
  readonly nodes: readonly ViewNode[];
  readonly groups: readonly GroupState[];
  readonly backoff: Pick<NodeGroupBackoff, 'backedOffUntil'>;
  readonly random: Random;
  readonly volumes?: SolverVolumes;
  /** Some bound pod has required pod anti-affinity: simulate with full nodes. */
  readonly clusterHasRequiredAntiAffinity?: boolean;
  /**
   * Reuse the last pass's filterOutSchedulable answer while nothing it depends on changed;
   * `nodesGeneration` must move whenever a simulation would see `nodes` differently.
   */
  readonly filterMemo?: { readonly memo: SchedulableFilterMemo; readonly nodesGeneration: number };
}

export type ScaleUpOutcome =
  /** Nothing to help: no pending pods, or all fit on existing or upcoming nodes. */
  | { readonly kind: 'nothing'; readonly considered: number }
  /** Every pod to help is very new and some fit nowhere: wait one pass for more (and skip scale-down). */
  | { readonly kind: 'waiting'; readonly considered: number }
  /** No group can take any of them; why, per group. */
  | { readonly kind: 'no-option'; readonly pods: readonly Pod[]; readonly reasons: ReadonlyMap<string, GroupRejection> }
  | { readonly kind: 'scale-up'; readonly plan: ScaleUpPlan };

/** Why a group was not an option: a stable code and the words for the log. */
export interface GroupRejection {
  readonly code: 'backed-off' | 'no-template' | 'max-size' | 'max-nodes-total' | 'no-fit' | 'no-placement';
  readonly text: string;
}

export interface ScaleUpPlan {
  readonly group: GroupState;
  readonly delta: number;
  readonly pods: readonly Pod[];
  /** Pods to help that this scale-up does not place. */
  readonly left: readonly Pod[];
  readonly why: string;
  readonly alternativesRejected: readonly string[];
}

/** Decides the pass's scale-up. Pure apart from the random tie-break. */
export function planScaleUp(input: ScaleUpInput): ScaleUpOutcome {
  const o = input.options;
  const selection = selectPendingPods(input.unschedulable, { ...o, now: input.now });
  if (selection.pods.length === 0) return { kind: 'nothing', considered: 0 };
  // All new: the pass waits unless every pod fits on existing or upcoming nodes. A burst of pods
  // marked Unschedulable one at a time triggers a pass each; most are settled by room alone.
  if (selection.allNew && someCannotFit(selection.pods, rooms(input))) return { kind: 'waiting', considered: selection.pods.length };
  const full = needsFullNodes(selection.pods, input.clusterHasRequiredAntiAffinity ?? false);
  const simulate = (): SchedulableFilter => {
    const existing: SolverNode[] = input.nodes.filter((n) => !n.deleting).map((n) => (full ? n.solverNode : n.compact));
    const upcoming: SolverNode[] = [];
    for (const g of input.groups) {
      if (g.upcoming > 0 && g.template) upcoming.push(...templateNodes(g.template, g.upcoming, `upcoming-${g.spec.name}`, true));
    }
    return filterOutSchedulable(selection.pods, existing, upcoming, input.volumes);
  };
  const m = input.filterMemo;
  const filtered = m
    ? m.memo.filter(selection.pods, {
      nodesGeneration: m.nodesGeneration, full, volumes: input.volumes,
      upcoming: input.groups.flatMap((g) => (g.upcoming > 0 && g.template ? [[g.spec.name, g.upcoming, g.template] as const] : [])),
    }, simulate)
    : simulate();
  const pods = filtered.remaining;
  if (pods.length === 0) return { kind: 'nothing', considered: selection.pods.length };
  if (selectPendingPods(pods, { ...o, now: input.now }).allNew) return { kind: 'waiting', considered: selection.pods.length };

  const classes = equivalenceGroups(pods);
  const totalNodes = input.nodes.length + input.groups.reduce((s, g) => s + g.upcoming, 0);
  const reasons = new Map<string, GroupRejection>();
  const options: ExpansionOption[] = [];
  for (const g of input.groups) {
    const name = g.spec.name;
    const until = input.backoff.backedOffUntil(name, input.now);
    if (until !== undefined) {
      reasons.set(name, { code: 'backed-off', text: `backed off for ${Math.ceil((until - input.now) / 1000)}s more after a failed scale-up` });
      continue;
    }
    if (!g.template) {
      reasons.set(name, { code: 'no-template', text: g.templateError ?? 'no template' });
      continue;
    }
    let room = Math.min(g.spec.maxSize - g.target, o.maxNodesPerScaleUp);
    if (o.maxNodesTotal > 0) room = Math.min(room, o.maxNodesTotal - totalNodes);
    if (room <= 0) {
      reasons.set(name, g.target >= g.spec.maxSize
        ? { code: 'max-size', text: `at its maximum size (${g.spec.maxSize})` }
        : { code: 'max-nodes-total', text: `the cluster is at --max-nodes-total (${o.maxNodesTotal})` });
      continue;
    }
    const reps = classes.map((c) => c.pods[0]!);
    const fitting = new Set(estimateNodes(g.template, reps, reps.length, input.volumes).pods);
    const helped = classes.filter((c) => fitting.has(c.pods[0]!)).flatMap((c) => c.pods);
    if (helped.length === 0) {
      reasons.set(name, { code: 'no-fit', text: `none of the pods fits a ${g.template.instanceType} node of this group` });
      continue;
    }
    const estimate = estimateNodes(g.template, helped, room, input.volumes);
    if (estimate.nodeCount === 0) {
      reasons.set(name, { code: 'no-placement', text: 'the estimate places no pod' });
      continue;
    }
    options.push({ group: name, nodeCount: estimate.nodeCount, pods: estimate.pods, template: g.template });
  }
  if (options.length === 0) return { kind: 'no-option', pods, reasons };

  const expansion = expand(options, o.expanders, { random: input.random, priorities: o.expanderPriorities });
  const chosen = expansion.chosen;
  const group = input.groups.find((g) => g.spec.name === chosen.group)!;
  const placed = new Set(chosen.pods);
  const alternativesRejected = [
    ...options.filter((x) => x !== chosen).map((x) => `${x.group}: ${x.nodeCount} × ${x.template.instanceType} for ${x.pods.length} pods (${describeWaste(x)}); ${expansion.rejected.get(x.group) ?? 'not chosen'}`),
    ...[...reasons].map(([n, why]) => `${n}: ${why.text}`),
  ];
  const skipped = selection.expendable + selection.daemonSet + selection.tooYoung;
  const why = `${pods.length} unschedulable pods fit on no existing or upcoming node`
    + `${filtered.onExisting + filtered.onUpcoming > 0 ? ` (${filtered.onExisting + filtered.onUpcoming} others will fit there)` : ''}`
    + `${skipped > 0 ? `, ${skipped} left out (expendable, DaemonSet or too new)` : ''}`
    + `; First-Fit Decreasing puts ${chosen.pods.length} of them on ${chosen.nodeCount} × ${chosen.template.instanceType} (${describeWaste(chosen)}); chosen by ${expansion.chosenBecause}`;
  return {
    kind: 'scale-up',
    plan: { group, delta: chosen.nodeCount, pods: chosen.pods, left: pods.filter((p) => !placed.has(p)), why, alternativesRejected },
  };
}

/** The free cpu and memory of the existing nodes pods may go to and of the upcoming ones. */
function rooms(input: ScaleUpInput): Room[] {
  const out: Room[] = [];
  for (const n of input.nodes) {
    if (n.deleting) continue;
    out.push({ free: { [CPU]: (n.allocatable[CPU] ?? 0) - (n.requests[CPU] ?? 0), [MEMORY]: (n.allocatable[MEMORY] ?? 0) - (n.requests[MEMORY] ?? 0) }, count: 1 });
  }
  for (const g of input.groups) {
    if (g.upcoming <= 0 || !g.template) continue;
    const free: Record<string, number> = { [CPU]: g.template.allocatable[CPU] ?? 0, [MEMORY]: g.template.allocatable[MEMORY] ?? 0 };
    for (const ds of g.template.daemonSetPods) {
      try {
        const r = cachedPodRequests(ds);
        free[CPU]! -= r[CPU] ?? 0;
        free[MEMORY]! -= r[MEMORY] ?? 0;
      } catch {
        // Counted as a pod slot alone, as the solver counts it.
      }
    }
    out.push({ free, count: g.upcoming });
  }
  return out;
}

function describeWaste(o: ExpansionOption): string {
  const w = wasteOf(o);
  return `cpu idle ${Math.round(w.cpu * 100)}%, memory idle ${Math.round(w.memory * 100)}%`;
}

/** Pod names for a decision's details. */
export function podNames(pods: readonly Pod[]): string[] {
  return pods.map((p) => keyOf(p));
}
