/**
 * The scheduling solver: places pending pods on existing nodes, then in-flight ones, then on new
 * NodeClaims from the NodePools in weight order, honouring every constraint the pod carries, and
 * returns the plan. Pure: no I/O, no clock; the same input gives the same output.
 */
import type { DaemonSet, Pod } from '../apis/core.js';
import { HOSTNAME_LABEL, normalizeLabelKey } from '../apis/labels.js';
import type { ResourceList } from '../utils/resources.js';
import { compileNodePool, preparePool, registerPoolResources, type NodePoolTemplate, type PreparedPool } from './node-pool-template.js';
import { compilePodShape, podShapeKey, type PodInfo, type PodShape } from './pod-constraints.js';
import { cachedPodRequests } from './object-facts.js';
import { existingCounts, NodeBase, nodeAntiTerms, nodeSlots as makeNodeSlots, refusedTaintClasses, registerNodeDomains, registerNodeResources } from './node-base.js';
import type { Requirements } from './requirements.js';
import { ResourceSpace, type Vec } from './resource-space.js';
import type { SlotContext } from './slots.js';
import { Placer, Stopped } from './placer.js';
import { Topology, type TopologyGroup } from './topology.js';
import { finalizeClaims } from './finalize.js';
import { typeDomains } from './pool-stats.js';
import { OfferingIndex } from './offering-index.js';
import type { SolverInput, SolverResult, UnschedulablePod } from './types.js';
import { VolumeTopology } from './volume-topology.js';

const DEFAULT_MAX_INSTANCE_TYPES = 600;
/** One empty daemonset list for inputs without any (pools keep what they were prepared with by identity). */
const NO_DAEMONSETS: readonly DaemonSet[] = [];

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Orders pools as Karpenter does: higher weight first, then by name. */
function orderPools(pools: NodePoolTemplate[]): NodePoolTemplate[] {
  return pools.sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Solves one batch.
 * Never throws for bad pods (they are reported in `unschedulable`); a NodePool whose spec cannot be
 * compiled is skipped and named in the reasons of pods that found no place.
 */
export function solve(input: SolverInput): SolverResult {
  const opts = input.options ?? {};
  const space = new ResourceSpace();
  const unschedulable: UnschedulablePod[] = [];
  const volumes = new VolumeTopology(input.volumes, normalizeLabelKey);

  // 1. Register every resource name before any vector is made.
  const pending: { pod: Pod; requests: ResourceList; volumeReqs: Requirements | undefined }[] = [];
  // Indexed loops over pods here and below: these run once per pod before the JIT has warmed up,
  // and an unoptimized for-of allocates an iterator result per element.
  for (let i = 0; i < input.pods.length; i++) {
    const pod = input.pods[i]!;
    try {
      const requests = cachedPodRequests(pod);
      const volumeReqs = volumes.requirementsFor(pod);
      space.register(requests);
      pending.push({ pod, requests, volumeReqs });
    } catch (err) {
      unschedulable.push({ pod, reason: errorMessage(err) });
    }
  }
  registerPoolResources(input.nodePools, space);
  const poolProblems: string[] = [];
  const prepared: PreparedPool[] = [];
  const daemonSets = input.daemonSets ?? NO_DAEMONSETS;
  for (const p of input.nodePools) {
    try {
      prepared.push(preparePool(p, daemonSets, space));
    } catch (err) {
      poolProblems.push(`nodepool ${p.nodePool.metadata.name ?? ''}: ${errorMessage(err)}`);
    }
  }
  const subset = input.nodeSubset ?? new NodeBase(input.nodes ?? []).all();
  const nodeFacts = subset.base.facts;
  registerNodeResources(space, subset);
  space.freeze();
  const layout = internLayout(space.names.join(','));

  // 2. Compile pools, nodes and pods.
  const pools: NodePoolTemplate[] = [];
  for (const p of prepared) {
    try {
      const t = compileNodePool(p, space, layout);
      if (t.problem) poolProblems.push(t.problem);
      else pools.push(t);
    } catch (err) {
      poolProblems.push(`nodepool ${p.input.nodePool.metadata.name ?? ''}: ${errorMessage(err)}`);
    }
  }
  orderPools(pools);

  const topology = new Topology();
  const pods: PodInfo[] = [];
  // Pods of one Deployment differ only in name: compile each shape once.
  const ignorePreferences = opts.ignorePreferences ?? false;
  const shapes = shapesFor(layout, ignorePreferences);
  for (let i = 0; i < pending.length; i++) {
    const { pod, requests, volumeReqs } = pending[i]!;
    const last = volumeReqs === undefined ? shapeOfPod.get(pod) : undefined;
    let shape: PodShape | Error | undefined;
    if (last !== undefined && last.shapes === shapes && last.requests === requests) {
      shape = last.shape;
    } else {
      const key = podShapeKey(pod, requests, volumeReqs);
      shape = shapes.get(key);
      if (!shape) {
        try {
          shape = compilePodShape(pod, { space, requestList: requests, ignorePreferences, volumeRequirements: volumeReqs, normalizeKey: normalizeLabelKey });
        } catch (err) {
          shape = err instanceof Error ? err : new Error(String(err));
        }
        if (shapes.size >= SHAPES_PER_LAYOUT) shapes.clear();
        shapes.set(key, shape);
      }
      if (volumeReqs === undefined) shapeOfPod.set(pod, { shapes, requests, shape });
    }
    if (shape instanceof Error) unschedulable.push({ pod, reason: shape.message });
    else pods.push(shape.instantiate(pod));
  }

  // Groups for every pod's strictest rung (relaxed rungs only drop terms) and existing anti-affinity.
  const keys = new Set<string>();
  for (let i = 0; i < pods.length; i++) for (const t of pods[i]!.variant.terms) keys.add(t.key);
  const existingAnti: { group: TopologyGroup; node: number }[] = [];
  for (const { term, node } of nodeAntiTerms(subset)) {
    existingAnti.push({ group: topology.group(term), node });
    keys.add(term.key);
  }
  for (const key of keys) {
    if (key === HOSTNAME_LABEL) continue;
    for (const pool of pools) {
      const poolReq = pool.requirements.get(key);
      // Registering a domain twice with the same taints does nothing: each distinct value once.
      const values = typeDomains(pool, key);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!poolReq || poolReq.has(v)) topology.registerDomain(key, v, pool.taints);
      }
      if (poolReq && !poolReq.complement) for (const v of poolReq.values) topology.registerDomain(key, v, pool.taints);
    }
  }
  registerNodeDomains(topology, subset, [...keys]);
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i]!;
    for (const t of p.variant.terms) topology.group(t, p);
  }

  // Slots only for the nodes some pod of the batch may still fit. At a thousand nodes most are
  // full; they count for topology all the same.
  const nodeSlots = makeNodeSlots(subset, space, layout, leastRequests(space, pods), refusedByAll(subset.base, pods));
  topology.recordExisting(existingCounts(subset));
  for (const { group, node } of existingAnti) group.recordOwner(nodeFacts[node]!.labels.requirements);
  const slots = initialisedFirst(nodeSlots);

  // 3. Place.
  const groupCache = new WeakMap<PodInfo['variant'], { owned: TopologyGroup[]; inverse: TopologyGroup[] }>();
  // First fit asks for one pod's groups on slot after slot: the last answer is usually the one.
  let lastVariant: PodInfo['variant'] | undefined;
  let lastGroups: { owned: TopologyGroup[]; inverse: TopologyGroup[] } | undefined;
  const ctx: SlotContext = {
    space,
    topology,
    groupsOf(pod) {
      if (pod.variant === lastVariant) return lastGroups!;
      let g = groupCache.get(pod.variant);
      if (!g) {
        const owned = pod.variant.terms.map((t) => topology.group(t, pod));
        const inverse = topology.antiAffinityGroups.filter((ag) => ag.selects(pod.namespace, pod.labels));
        g = { owned, inverse };
        groupCache.set(pod.variant, g);
      }
      lastVariant = pod.variant;
      lastGroups = g;
      return g;
    },
  };
  const offerings = new OfferingIndex();
  const placer = new Placer(ctx, pools, slots, poolProblems, offerings, input.stopWhenPlaced, input.stopWhenClaimed);
  // Pods with inter-pod constraints first, by first fit; then the rest, packed for cost.
  const optimize = opts.optimizeCost ?? true;
  const order = sortPods(pods);
  // Split before the first fit: a pod it places may relax to a rung without terms, and would
  // then read as simple and be placed a second time.
  const simple = order.filter((p) => isSimple(p, optimize, ctx));
  try {
    const failed = retry(placer, order.filter((p) => !isSimple(p, optimize, ctx)));
    for (const u of placer.placeSimple(simple)) unschedulable.push(u);
    // Once the plain pods are placed, pods that wanted to be near them may fit.
    for (const f of failed.length > 0 ? retry(placer, failed.map((x) => x.pod)) : []) unschedulable.push({ pod: f.pod.pod, reason: f.reason });
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
    const existingNodes = placer.placedNodes().map((n) => ({ node: n.name, pods: n.placed.map((p) => p.pod) }));
    return { newNodeClaims: [], existingNodes, unschedulable, totalPricePerHour: 0, stopped: { pod: err.pod, node: err.node, claims: err.claims } };
  }

  // 4. Finalize: instance type options, prices, limits.
  const { claims, overLimit } = finalizeClaims(space, placer.claims, pools, opts.maxInstanceTypes ?? DEFAULT_MAX_INSTANCE_TYPES, offerings);
  unschedulable.push(...overLimit);
  const existingNodes = placer.placedNodes().map((n) => ({ node: n.name, pods: n.placed.map((p) => p.pod) }));
  return {
    newNodeClaims: claims,
    existingNodes,
    unschedulable,
    totalPricePerHour: claims.reduce((s, c) => s + c.pricePerHour, 0),
  };
}

/** Layouts seen, each kept as one string object (so caches keyed by layout compare pointers). */
const layouts = new Map<string, string>();

function internLayout(layout: string): string {
  const known = layouts.get(layout);
  if (known !== undefined) return known;
  if (layouts.size >= 64) layouts.clear();
  layouts.set(layout, layout);
  return layout;
}

/**
 * Compiled pod shapes (or what compiling threw) by podShapeKey, per layout and preference option:
 * a disruption pass solves the same Deployments' pods thousands of times. A shape depends only on
 * what its key holds (the pod's namespace, labels, scheduling fields, requests, host ports and
 * volume requirements), the layout its requests vector is in and the option; it is never changed
 * once compiled (its relaxation rungs are built in a fixed order, each pod keeps its own rung).
 */
const shapesByLayout = new Map<string, Map<string, PodShape | Error>>();
/**
 * The shape last found for a pod object without volume requirements, with the shapes map and the
 * requests it was found with: a disruption pass solves the same pods again and again, and the
 * shape depends on nothing else (see podShapeKey), so those solves skip the key and its lookup.
 */
const shapeOfPod = new WeakMap<Pod, { readonly shapes: Map<string, PodShape | Error>; readonly requests: ResourceList; readonly shape: PodShape | Error }>();
/** Shapes kept per layout before it starts over (a cluster runs a few hundred workloads). */
const SHAPES_PER_LAYOUT = 2048;

function shapesFor(layout: string, ignorePreferences: boolean): Map<string, PodShape | Error> {
  const at = ignorePreferences ? `${layout}|ignore` : layout;
  let shapes = shapesByLayout.get(at);
  if (!shapes) {
    if (shapesByLayout.size >= 16) shapesByLayout.clear();
    shapesByLayout.set(at, (shapes = new Map<string, PodShape | Error>()));
  }
  return shapes;
}

/** Whether the pod takes the cost packing: no inter-pod constraint on its rung, none against it. */
function isSimple(p: PodInfo, optimize: boolean, ctx: SlotContext): boolean {
  return optimize && p.variant.terms.length === 0 && p.hostPorts.length === 0 && ctx.groupsOf(p).inverse.length === 0;
}

/**
 * Places the pods by first fit. A pod that fails may fit once others are placed (affinity to a pod
 * later in the order), so failed pods are retried, as Karpenter requeues them, until a pass places
 * none. Returns the pods that still fail, with their reasons.
 */
function retry(placer: Placer, queue: PodInfo[]): { pod: PodInfo; reason: string }[] {
  for (;;) {
    const failed: { pod: PodInfo; reason: string }[] = [];
    for (let i = 0; i < queue.length; i++) {
      const pod = queue[i]!;
      const reason = placer.place(pod);
      if (reason !== undefined) failed.push({ pod, reason });
    }
    if (failed.length === 0 || failed.length === queue.length) return failed;
    queue = failed.map((f) => f.pod);
  }
}

/**
 * Initialised nodes first, then in-flight ones, each in their order (what a stable sort on
 * inFlight gives); the very array when none is in flight or all are.
 */
function initialisedFirst<T extends { readonly inFlight: boolean }>(slots: T[]): T[] {
  let inFlight = 0;
  for (let i = 0; i < slots.length; i++) if (slots[i]!.inFlight) inFlight++;
  if (inFlight === 0 || inFlight === slots.length) return slots;
  const out: T[] = [];
  for (let i = 0; i < slots.length; i++) if (!slots[i]!.inFlight) out.push(slots[i]!);
  for (let i = 0; i < slots.length; i++) if (slots[i]!.inFlight) out.push(slots[i]!);
  return out;
}

/** Per resource, the least any of the pods requests (Infinity without pods). */
function leastRequests(space: ResourceSpace, pods: readonly PodInfo[]): Vec {
  const least = new Float64Array(space.size).fill(Infinity);
  for (let i = 0; i < pods.length; i++) {
    const r = pods[i]!.requests;
    for (let d = 0; d < least.length; d++) if (r[d]! < least[d]!) least[d] = r[d]!;
  }
  return least;
}

/**
 * The base's taint classes every pod refuses on every rung (see refusedTaintClasses); undefined
 * without pods. Pods of one shape share their tolerations array: each array is asked about once.
 */
function refusedByAll(base: NodeBase, pods: readonly PodInfo[]): Uint8Array | undefined {
  if (pods.length === 0) return undefined;
  const tolerations: PodInfo['variant']['tolerations'][] = [];
  for (let i = 0; i < pods.length; i++) {
    const t = pods[i]!.variant.tolerations;
    if (!tolerations.includes(t)) tolerations.push(t);
  }
  return refusedTaintClasses(base, tolerations);
}

/** Largest first (cpu, then memory), as Karpenter orders a batch; ties keep input order. */
function sortPods(pods: PodInfo[]): PodInfo[] {
  return pods
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p.requests[0]! - a.p.requests[0]! || b.p.requests[1]! - a.p.requests[1]! || a.i - b.i)
    .map((x) => x.p);
}
