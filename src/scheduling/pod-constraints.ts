/**
 * A pending pod compiled once for the solver: its requests as a vector, its node requirements, its
 * topology and affinity terms, and the ladder of preference relaxations Karpenter applies when a
 * pod cannot be placed with all its preferences treated as requirements.
 */
import type { Labels, LabelSelector, NodeSelectorTerm, Pod, PodAffinityTerm, Toleration, TopologySpreadConstraint } from '../apis/core.js';
import { compileSelector, type LabelPredicate } from '../apis/selectors.js';
import type { HostPort } from './host-ports.js';
import { podHostPorts } from './host-ports.js';
import { Requirement, Requirements } from './requirements.js';
import type { ResourceSpace, Vec } from './resource-space.js';
import type { ResourceList } from '../utils/resources.js';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';

/** A topology spread constraint or pod (anti-)affinity term, with its selector compiled. */
export interface TopologyTerm {
  readonly kind: 'spread' | 'affinity' | 'anti-affinity';
  readonly key: string;
  readonly selector: LabelPredicate;
  /** Namespaces whose pods the selector counts; null for all. */
  readonly namespaces: ReadonlySet<string> | null;
  readonly maxSkew: number;
  readonly minDomains: number | undefined;
  /** Spread: count only nodes matching the owner's node requirements (nodeAffinityPolicy Honor). */
  readonly honorNodeAffinity: boolean;
  /** Spread: count only nodes whose taints the owner tolerates (nodeTaintsPolicy Honor). */
  readonly honorNodeTaints: boolean;
  /** Required (hard) or preferred; only required anti-affinity repels other pods (the inverse direction). */
  readonly required: boolean;
  /** Identity: terms with the same identity share one topology group. */
  readonly identity: string;
}

/** One rung of the relaxation ladder: the constraints the pod is placed with. */
export interface PodVariant {
  readonly requirements: Requirements;
  readonly tolerations: readonly Toleration[];
  readonly toleratePreferNoSchedule: boolean;
  readonly terms: readonly TopologyTerm[];
  /** Stable text of this rung, for equivalence classes. */
  readonly signature: string;
}

export interface PodInfo {
  readonly pod: Pod;
  /** "namespace/name". */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly requestList: ResourceList;
  /** Shared by the pods of one shape: read it, never write it. */
  readonly requests: Vec;
  readonly hostPorts: readonly HostPort[];
  /** The current rung; relax() moves to the next. */
  variant: PodVariant;
  /** Drops the next preference, Karpenter's order. False when nothing is left to relax. */
  relax(): boolean;
}

function selectorIdentity(sel: LabelSelector | undefined, extra: readonly [string, string, string][]): string {
  return JSON.stringify([sel?.matchLabels ?? null, sel?.matchExpressions ?? null, extra]);
}

/** Adds matchLabelKeys (key In [own value]) and mismatchLabelKeys (key NotIn [own value]) to a selector. */
function withLabelKeys(sel: LabelSelector | undefined, labels: Labels, match: readonly string[] | undefined, mismatch: readonly string[] | undefined): [LabelSelector | undefined, [string, string, string][]] {
  const extra: [string, string, string][] = [];
  for (const k of match ?? []) if (labels[k] !== undefined) extra.push([k, 'In', labels[k]]);
  for (const k of mismatch ?? []) if (labels[k] !== undefined) extra.push([k, 'NotIn', labels[k]]);
  if (extra.length === 0) return [sel, extra];
  return [{
    matchLabels: sel?.matchLabels,
    matchExpressions: [...(sel?.matchExpressions ?? []), ...extra.map(([key, operator, v]) => ({ key, operator, values: [v] }))],
  }, extra];
}

function spreadTerm(c: TopologySpreadConstraint, labels: Labels, namespace: string, ownerReqs: string): TopologyTerm {
  const required = c.whenUnsatisfiable !== 'ScheduleAnyway';
  const [sel, extra] = withLabelKeys(c.labelSelector, labels, c.matchLabelKeys, undefined);
  const honorNodeAffinity = c.nodeAffinityPolicy !== 'Ignore';
  const honorNodeTaints = c.nodeTaintsPolicy === 'Honor';
  if (!Number.isInteger(c.maxSkew) || c.maxSkew < 1) throw new Error(`topologySpreadConstraints (${c.topologyKey}): maxSkew must be a positive integer, got ${String(c.maxSkew)}`);
  return {
    kind: 'spread',
    key: c.topologyKey,
    selector: compileSelector(sel),
    namespaces: new Set([namespace]),
    maxSkew: c.maxSkew,
    minDomains: c.minDomains,
    honorNodeAffinity,
    honorNodeTaints,
    required,
    identity: JSON.stringify(['spread', c.topologyKey, namespace, c.maxSkew, c.minDomains ?? null, honorNodeAffinity ? ownerReqs : '', honorNodeTaints, selectorIdentity(sel, extra)]),
  };
}

function affinityTerm(kind: 'affinity' | 'anti-affinity', t: PodAffinityTerm, labels: Labels, namespace: string, required: boolean): TopologyTerm {
  const [sel, extra] = withLabelKeys(t.labelSelector, labels, t.matchLabelKeys, t.mismatchLabelKeys);
  // Namespace labels are not known to the solver: a namespaceSelector of {} means every namespace,
  // any other selector is approximated by the listed namespaces plus the pod's own.
  const all = t.namespaceSelector !== undefined && !t.namespaceSelector.matchLabels && !t.namespaceSelector.matchExpressions?.length;
  const namespaces = all ? null : new Set([...(t.namespaces?.length ? t.namespaces : [namespace]), ...(t.namespaceSelector ? [namespace] : [])]);
  return {
    kind,
    key: t.topologyKey,
    selector: compileSelector(sel),
    namespaces,
    maxSkew: 0,
    minDomains: undefined,
    honorNodeAffinity: false,
    honorNodeTaints: false,
    required,
    identity: JSON.stringify([kind, required, t.topologyKey, namespaces ? [...namespaces].sort() : null, selectorIdentity(sel, extra)]),
  };
}

function termRequirements(term: NodeSelectorTerm | undefined, into: Requirements, normalize: (key: string) => string): void {
  for (const e of term?.matchExpressions ?? []) into.add(Requirement.fromSelector(normalize(e.key), e.operator, e.values));
  for (const e of term?.matchFields ?? []) {
    // metadata.name is the only field Kubernetes supports; the solver exposes it as a pseudo-label.
    into.add(Requirement.fromSelector(e.key, e.operator, e.values));
  }
}

/** The required anti-affinity terms of a pod already placed: its presence repels pods they select. */
export function requiredAntiAffinityTerms(pod: Pod): TopologyTerm[] {
  const labels = pod.metadata.labels ?? {};
  const namespace = pod.metadata.namespace ?? 'default';
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
    .map((t) => affinityTerm('anti-affinity', t, labels, namespace, true));
}

export interface CompileOptions {
  readonly space: ResourceSpace;
  /** podRequests(pod), computed (and registered with the space) before the space was frozen. */
  readonly requestList: ResourceList;
  readonly ignorePreferences: boolean;
  /** Extra requirements from the pod's volumes (zone of a bound PV, allowed topologies). */
  readonly volumeRequirements?: Requirements;
  /** Maps deprecated label keys to current ones. */
  readonly normalizeKey: (key: string) => string;
}

/**
 * The constraints of every pod of one shape (same namespace, labels, node selection, affinity,
 * tolerations, spread, requests, host ports and volume requirements), compiled once: a thousand
 * pods of ten Deployments are ten shapes. The relaxation ladder is shared too: each rung is built
 * once, the first time some pod of the shape needs it, and each pod keeps its own position.
 */
export interface PodShape {
  /** A PodInfo for `pod`, which must have this shape (the caller keys shapes with podShapeKey). */
  instantiate(pod: Pod): PodInfo;
}

/** podShapeKey per pod object, with the requests object it was made with (no volume requirements). */
const shapeKeys = new WeakMap<Pod, { requestList: ResourceList; key: string }>();

/**
 * A key equal for two pods exactly when compilePodShape would compile them alike, given their
 * requests and volume requirements (computed by the caller).
 */
export function podShapeKey(pod: Pod, requestList: ResourceList, volumeRequirements: Requirements | undefined): string {
  // Without volumes the key depends on the pod and its requests alone: kept per pod object (pods
  // are never changed in place, see object-facts), as a disruption pass solves the same pods again and again.
  if (volumeRequirements === undefined) {
    const hit = shapeKeys.get(pod);
    if (hit?.requestList === requestList) return hit.key;
  }
  const spec = pod.spec;
  const key = JSON.stringify([
    pod.metadata.namespace ?? 'default', pod.metadata.labels ?? null, spec.nodeSelector ?? null, spec.affinity ?? null,
    spec.tolerations ?? null, spec.topologySpreadConstraints ?? null, requestList, podHostPorts(pod), volumeRequirements?.toString() ?? null,
  ]);
  if (volumeRequirements === undefined) shapeKeys.set(pod, { requestList, key });
  return key;
}

/**
 * Compiles a pod's shape for the solver.
 * @throws Error (QuantityError, RequirementError, SelectorError, …) with a message that names the
 *   bad field; the solver turns it into the unschedulable reason of every pod of the shape.
 */
export function compilePodShape(sample: Pod, opts: CompileOptions): PodShape {
  const namespace = sample.metadata.namespace ?? 'default';
  const labels = sample.metadata.labels ?? {};
  const spec = sample.spec;
  const requestList = opts.requestList;
  const affinity = spec.affinity;
  const requiredTerms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const sortByWeight = <T extends { weight: number }>(xs: readonly T[] | undefined): T[] => [...(xs ?? [])].sort((a, b) => b.weight - a.weight);
  const prefs = opts.ignorePreferences;
  const state = {
    requiredIndex: 0,
    preferredNode: prefs ? [] : sortByWeight(affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: prefs ? [] : sortByWeight(affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAnti: prefs ? [] : sortByWeight(affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    scheduleAnyway: prefs ? [] : (spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway'),
    toleratePreferNoSchedule: prefs,
  };
  const hard = (spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable !== 'ScheduleAnyway');
  const requiredAffinity = affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const requiredAnti = affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];

  const build = (): PodVariant => {
    const requirements = new Requirements();
    for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) requirements.add(Requirement.in(opts.normalizeKey(k), [v]));
    termRequirements(requiredTerms[state.requiredIndex], requirements, opts.normalizeKey);
    termRequirements(state.preferredNode[0]?.preference, requirements, opts.normalizeKey);
    if (opts.volumeRequirements) requirements.addAll(opts.volumeRequirements);
    const ownerReqs = requirements.toString();
    const terms: TopologyTerm[] = [
      ...hard.map((c) => spreadTerm(c, labels, namespace, ownerReqs)),
      ...state.scheduleAnyway.map((c) => spreadTerm(c, labels, namespace, ownerReqs)),
      ...requiredAffinity.map((t) => affinityTerm('affinity', t, labels, namespace, true)),
      ...state.preferredAffinity.map((t) => affinityTerm('affinity', t.podAffinityTerm, labels, namespace, false)),
      ...requiredAnti.map((t) => affinityTerm('anti-affinity', t, labels, namespace, true)),
      ...state.preferredAnti.map((t) => affinityTerm('anti-affinity', t.podAffinityTerm, labels, namespace, false)),
    ];
    const tolerations = spec.tolerations ?? [];
    return {
      requirements,
      tolerations,
      toleratePreferNoSchedule: state.toleratePreferNoSchedule,
      terms,
      signature: JSON.stringify([requirements.toString(), tolerations, state.toleratePreferNoSchedule, terms.map((t) => t.identity)]),
    };
  };
  // Karpenter's order: extra required node-affinity terms, preferred pod affinity, preferred pod
  // anti-affinity, preferred node affinity, ScheduleAnyway spread, then PreferNoSchedule taints.
  const advance = (): boolean => {
    if (state.requiredIndex + 1 < requiredTerms.length) state.requiredIndex++;
    else if (state.preferredAffinity.length) state.preferredAffinity.shift();
    else if (state.preferredAnti.length) state.preferredAnti.shift();
    else if (state.preferredNode.length) state.preferredNode.shift();
    else if (state.scheduleAnyway.length) state.scheduleAnyway.shift();
    else if (!state.toleratePreferNoSchedule) state.toleratePreferNoSchedule = true;
    else return false;
    return true;
  };
  const rungs: PodVariant[] = [build()];
  let lastRung = false;
  const rung = (k: number): PodVariant | undefined => {
    while (rungs.length <= k && !lastRung) {
      if (advance()) rungs.push(build());
      else lastRung = true;
    }
    return rungs[k];
  };
  const hostPorts = podHostPorts(sample);
  // One vector for every pod of the shape: a thousand pods need not allocate a thousand copies.
  const requests = opts.space.vector(requestList);

  const ladder: Ladder = { namespace, labels, requestList, requests, hostPorts, rung };
  return {
    instantiate(pod: Pod): PodInfo {
      return new ShapePod(pod, ladder, rungs[0]!);
    },
  };
}

/** What the pods of one shape share: everything but the pod and its rung. */
interface Ladder {
  readonly namespace: string;
  readonly labels: Labels;
  readonly requestList: ResourceList;
  readonly requests: Vec;
  readonly hostPorts: readonly HostPort[];
  /** Rung k of the shape's relaxation ladder, built on first need; undefined past the last. */
  rung(k: number): PodVariant | undefined;
}

/**
 * A pod of a compiled shape, at its own rung of the shape's ladder. One object per pod and solve
 * (no closure, and the key is made only when read): solves instantiate every pod they place.
 */
class ShapePod implements PodInfo {
  readonly namespace: string;
  readonly labels: Labels;
  readonly requestList: ResourceList;
  readonly requests: Vec;
  readonly hostPorts: readonly HostPort[];
  variant: PodVariant;
  readonly #ladder: Ladder;
  #rung = 0;

  constructor(readonly pod: Pod, ladder: Ladder, first: PodVariant) {
    this.namespace = ladder.namespace;
    this.labels = ladder.labels;
    this.requestList = ladder.requestList;
    this.requests = ladder.requests;
    this.hostPorts = ladder.hostPorts;
    this.variant = first;
    this.#ladder = ladder;
  }

  get key(): string {
    return `${this.namespace}/${this.pod.metadata.name ?? ''}`;
  }

  relax(): boolean {
    const next = this.#ladder.rung(this.#rung + 1);
    if (!next) return false;
    this.#rung++;
    this.variant = next;
    return true;
  }
}

/**
 * Compiles a pod for the solver (a shape of one pod).
 * @throws Error as compilePodShape.
 */
export function compilePod(pod: Pod, opts: CompileOptions): PodInfo {
  return compilePodShape(pod, opts).instantiate(pod);
}
