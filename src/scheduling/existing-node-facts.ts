/**
 * What the solver derives from one existing node, kept per SolverNode object across solves: every
 * consolidation simulation of a disruption pass hands the solver the same few hundred node
 * objects, and looking each fact up apart (label facts, the pod list's names, usage, host ports and
 * topology facts), then building the remaining vector from names, was a good part of a simulation.
 *
 * The node's name, labels, allocatable and pod list are treated as immutable, as in object-facts:
 * an entry is reused only while they are the very same objects.
 */
import type { ResourceList } from '../utils/resources.js';
import type { HostPort } from './host-ports.js';
import { nodeLabelFacts, podListHostPorts, podListNames, podListUsage, type NodeLabelFacts } from './object-facts.js';
import { podListTopology, type PodListTopology } from './pod-list-topology.js';
import { sub, type ResourceSpace, type Vec } from './resource-space.js';
import type { SolverNode } from './types.js';

export interface ExistingNodeFacts {
  readonly labels: NodeLabelFacts;
  readonly pods: PodListTopology;
  readonly hostPorts: readonly HostPort[];
  /** Every resource name of the allocatable and the pods' requests, in that order (register this once). */
  readonly names: ResourceList;
}

interface Entry extends ExistingNodeFacts {
  readonly node: Pick<SolverNode, 'name' | 'labels' | 'allocatable' | 'pods'>;
  /** Per resource layout (the space's names joined): allocatable minus the pods' usage. */
  readonly remaining: Map<string, Vec>;
}

const byNode = new WeakMap<SolverNode, Entry>();
/** Layouts remembered per node: one pass's solves share one or two. */
const LAYOUTS_PER_NODE = 4;

function entry(n: SolverNode): Entry {
  const hit = byNode.get(n);
  if (hit && hit.node.name === n.name && hit.node.labels === n.labels && hit.node.allocatable === n.allocatable && hit.node.pods === n.pods) return hit;
  const names: Record<string, number> = {};
  for (const k in n.allocatable) names[k] = 0;
  for (const k in podListNames(n.pods)) names[k] = 0;
  const e: Entry = {
    node: { name: n.name, labels: n.labels, allocatable: n.allocatable, pods: n.pods },
    labels: nodeLabelFacts(n.name, n.labels),
    pods: podListTopology(n.pods),
    hostPorts: podListHostPorts(n.pods),
    names,
    remaining: new Map(),
  };
  byNode.set(n, e);
  return e;
}

/** The facts of an existing node, computed once per node object. Never mutate them. */
export function existingNodeFacts(n: SolverNode): ExistingNodeFacts {
  return entry(n);
}

/**
 * The node's allocatable minus its pods' requests, as a new vector of the (frozen) space the caller
 * may write. `layout` is `space.names.join(',')`.
 */
export function existingNodeRemaining(n: SolverNode, space: ResourceSpace, layout: string): Vec {
  const e = entry(n);
  let base = e.remaining.get(layout);
  if (!base) {
    base = sub(space.vector(n.allocatable), podListUsage(space, layout, n.pods));
    if (e.remaining.size >= LAYOUTS_PER_NODE) e.remaining.clear();
    e.remaining.set(layout, base);
  }
  return base.slice();
}
