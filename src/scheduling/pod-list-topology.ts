/**
 * What topology reads from the pods already on a node, kept per pod list across solves (the lists
 * are treated as immutable, see object-facts): the pods grouped by namespace and labels (all a
 * selector reads), how many pods each term's selector counts, and the pods' required
 * anti-affinity terms. Every consolidation simulation of a disruption pass hands the solver the
 * same few hundred nodes with the same pod lists; recording their pods one by one into every
 * topology group, each simulation, was most of the solver's set-up.
 */
import type { Labels, Pod } from '../apis/core.js';
import { requiredAntiAffinityTerms, type TopologyTerm } from './pod-constraints.js';

/** Pods of one namespace with equal labels: a selector counts all of them or none. */
export interface PodClass {
  readonly namespace: string;
  readonly labels: Readonly<Labels>;
  readonly count: number;
}

/** A term as a topology group applies it: its identity and whether it counts a pod. */
export interface CountingTerm {
  readonly term: TopologyTerm;
  selects(namespace: string, labels: Readonly<Labels>): boolean;
}

/** Term identities remembered per pod list; a cluster's pods carry few distinct terms. */
const SELECTED_LIMIT = 64;

/**
 * Per pod: its namespace and labels as one string (pods of one class have the same). A node's pod
 * list is a new list whenever one of its pods changes, but the other pods are the same objects, so
 * each pod's key is worked out once rather than once per list it is in.
 */
const keyByPod = new WeakMap<Pod, string>();

function classKey(pod: Pod): string {
  let key = keyByPod.get(pod);
  if (key === undefined) keyByPod.set(pod, (key = JSON.stringify([pod.metadata.namespace ?? 'default', pod.metadata.labels ?? {}])));
  return key;
}

export class PodListTopology {
  readonly classes: readonly PodClass[];
  readonly #pods: readonly Pod[];
  #anti: readonly TopologyTerm[] | undefined;
  /** term identity → pods of the list its selector counts. */
  readonly #selected = new Map<string, number>();
  #lastId: string | undefined;
  #lastCount = 0;

  constructor(pods: readonly Pod[]) {
    this.#pods = pods;
    const byKey = new Map<string, { namespace: string; labels: Readonly<Labels>; count: number }>();
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      const key = classKey(pod);
      const c = byKey.get(key);
      if (c) c.count++;
      else byKey.set(key, { namespace: pod.metadata.namespace ?? 'default', labels: pod.metadata.labels ?? {}, count: 1 });
    }
    this.classes = [...byKey.values()];
  }

  /**
   * The required anti-affinity terms of the pods, in pod order (requiredAntiAffinityTerms of each).
   * @throws what requiredAntiAffinityTerms throws for a pod whose terms do not compile.
   */
  get antiTerms(): readonly TopologyTerm[] {
    if (this.#anti === undefined) {
      const out: TopologyTerm[] = [];
      for (let i = 0; i < this.#pods.length; i++) {
        const pod = this.#pods[i]!;
        if (!pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) continue;
        for (const t of requiredAntiAffinityTerms(pod)) out.push(t);
      }
      this.#anti = out;
    }
    return this.#anti;
  }

  /** How many of the pods the term counts. The term's identity decides its namespaces and selector. */
  selected(g: CountingTerm): number {
    const id = g.term.identity;
    // Simulations of a pass ask about the same one or two terms, node after node.
    if (id === this.#lastId) return this.#lastCount;
    let n = this.#selected.get(id);
    if (n === undefined) {
      n = 0;
      for (let i = 0; i < this.classes.length; i++) {
        const c = this.classes[i]!;
        if (g.selects(c.namespace, c.labels)) n += c.count;
      }
      if (this.#selected.size >= SELECTED_LIMIT) this.#selected.clear();
      this.#selected.set(id, n);
    }
    this.#lastId = id;
    this.#lastCount = n;
    return n;
  }
}

const byList = new WeakMap<readonly Pod[], PodListTopology>();

/** The topology facts of a node's pod list, computed once per list object. Never mutate the list. */
export function podListTopology(pods: readonly Pod[]): PodListTopology {
  let f = byList.get(pods);
  if (!f) byList.set(pods, (f = new PodListTopology(pods)));
  return f;
}
