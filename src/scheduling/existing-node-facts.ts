/**
 * What the solver derives from one existing node, kept per SolverNode object across solves: every
 * consolidation simulation of a disruption pass hands the solver the same few hundred node
 * objects, and looking each fact up apart (label facts, the pod list's names, usage, host ports and
 * topology facts), then building the remaining vector from names, was a good part of a simulation.
 *
 * The node's name, labels, taints, allocatable and pod list are treated as immutable, as in object-facts:
 * an entry is reused only while they are the very same objects.
 */
import type { ResourceList } from '../utils/resources.js';
import type { HostPort } from './host-ports.js';
import { nodeLabelFacts, podListHostPorts, podListNames, podListUsage, type NodeLabelFacts } from './object-facts.js';
import { podListTopology, type PodListTopology } from './pod-list-topology.js';
import { sub, type ResourceSpace, type Vec } from './resource-space.js';
import type { NodePlacement } from './topology.js';
import type { SolverNode } from './types.js';

/** What the solver derives from one existing node (see existingNodeFacts). */
export class ExistingNodeFacts {
  /** Per resource layout (the space's names joined): allocatable minus the pods' usage. */
  readonly #remaining = new Map<string, Vec>();
  #lastLayout: string | undefined;
  #last: Vec | undefined;

  constructor(
    /** The node as it was when the facts were made (the very objects they were derived from). */
    readonly node: Pick<SolverNode, 'name' | 'labels' | 'taints' | 'allocatable' | 'pods'>,
    readonly labels: NodeLabelFacts,
    readonly pods: PodListTopology,
    readonly hostPorts: readonly HostPort[],
    /**
     * Every resource name of the allocatable and the pods' requests, in that order (register this
     * once); one record shared by every node with the same names in the same order.
     */
    readonly names: ResourceList,
  ) {
    this.placement = { pods, nodeRequirements: labels.requirements, taints: node.taints };
  }

  /** The node's pods as topology records them (Topology.recordNode). */
  readonly placement: NodePlacement;

  /**
   * The node's allocatable minus its pods' requests, as a vector of the (frozen) space, shared:
   * never write it. `layout` is `space.names.join(',')`.
   */
  remaining(space: ResourceSpace, layout: string): Vec {
    // Solves of one pass share their layout (the solver interns it, so this is a pointer test).
    if (layout === this.#lastLayout) return this.#last!;
    let base = this.#remaining.get(layout);
    if (!base) {
      base = sub(space.vector(this.node.allocatable), podListUsage(space, layout, this.node.pods));
      if (this.#remaining.size >= LAYOUTS_PER_NODE) this.#remaining.clear();
      this.#remaining.set(layout, base);
    }
    this.#lastLayout = layout;
    this.#last = base;
    return base;
  }

  /** Whether these are the facts of `n` (its name, labels, taints, allocatable and pods are the same objects). */
  describes(n: SolverNode): boolean {
    const m = this.node;
    return m.name === n.name && m.labels === n.labels && m.taints === n.taints && m.allocatable === n.allocatable && m.pods === n.pods;
  }
}

const byNode = new WeakMap<SolverNode, ExistingNodeFacts>();

/** Names records seen, one object per order of names (a cluster's nodes have a handful). */
const namesByOrder = new Map<string, ResourceList>();
/** Distinct orders kept before the table starts over (sharing is only a saving, never needed). */
const NAME_ORDERS = 64;

/** The one shared record with these names in this order (never mutate it). */
function internNames(names: ResourceList): ResourceList {
  const order = Object.keys(names).join(',');
  const known = namesByOrder.get(order);
  if (known !== undefined) return known;
  if (namesByOrder.size >= NAME_ORDERS) namesByOrder.clear();
  namesByOrder.set(order, names);
  return names;
}
/** Layouts remembered per node: one pass's solves share one or two. */
const LAYOUTS_PER_NODE = 4;

/**
 * The facts of an existing node, computed once per node object (and again if its name, labels,
 * taints, allocatable or pods are other objects). Never mutate them.
 */
export function existingNodeFacts(n: SolverNode): ExistingNodeFacts {
  const hit = byNode.get(n);
  if (hit?.describes(n)) return hit;
  const names: Record<string, number> = {};
  for (const k in n.allocatable) names[k] = 0;
  for (const k in podListNames(n.pods)) names[k] = 0;
  const f = new ExistingNodeFacts(
    { name: n.name, labels: n.labels, taints: n.taints, allocatable: n.allocatable, pods: n.pods },
    nodeLabelFacts(n.name, n.labels),
    podListTopology(n.pods),
    podListHostPorts(n.pods),
    internNames(names),
  );
  byNode.set(n, f);
  return f;
}
