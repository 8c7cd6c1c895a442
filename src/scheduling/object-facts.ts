/**
 * What the solver derives from the objects it is handed (pods, a node's label map, a node's pod
 * list), kept per object across solves: provisioning rounds and every disruption simulation solve
 * over the same thousand nodes and their pods, and re-deriving requests, label requirements and
 * resource sums each time dominated a simulated day.
 *
 * Objects are keyed by identity and treated as immutable, which is how they reach the solver: the
 * API clients hand out a fresh object per version (kube/memory copies every object it returns and
 * every watch event), the cluster state never changes a pod, label map or pod list in place (a
 * node's pod list is rebuilt on every change), and nothing in the solver writes to them. A caller
 * that edits one of them in place between solves must pass a new object instead.
 */
import type { Pod } from '../apis/core.js';
import type { ResourceList } from '../utils/resources.js';
import { podHostPorts, type HostPort } from './host-ports.js';
import { podRequests } from './pod-requests.js';
import { Requirements, type Requirement } from './requirements.js';
import { addInto, type ResourceSpace, type Vec } from './resource-space.js';

/**
 * podRequests' answers by pod spec: it reads nothing else, and the versions of a pod that differ
 * in metadata or status only (marked Unschedulable, relabelled) share their spec object. A pod
 * read from a manifest without a spec is its own key (podRequests fails on it).
 */
const requestsBySpec = new WeakMap<object, ResourceList | Error>();

/** A pod whose requests do not parse still takes a pod slot, as the scheduler counts it. */
const UNPARSABLE: ResourceList = Object.freeze({ pods: 1 });

function requestsOrError(pod: Pod): ResourceList | Error {
  const spec: Pod['spec'] | undefined = pod.spec;
  const key: object = spec ?? pod;
  let r = requestsBySpec.get(key);
  if (r === undefined) {
    try {
      r = podRequests(pod);
    } catch (err) {
      r = err instanceof Error ? err : new Error(String(err));
    }
    requestsBySpec.set(key, r);
  }
  return r;
}

/**
 * podRequests(pod), computed once per pod spec object. Never mutate the result.
 * @throws the error podRequests threw for this pod (the same one each time).
 */
export function cachedPodRequests(pod: Pod): ResourceList {
  const r = requestsOrError(pod);
  if (r instanceof Error) throw r;
  return r;
}

/** cachedPodRequests, or `{ pods: 1 }` for a pod whose requests do not parse. Never throws. */
export function safePodRequests(pod: Pod): ResourceList {
  const r = requestsOrError(pod);
  return r instanceof Error ? UNPARSABLE : r;
}

/** A node's labels as the solver matches them (with `metadata.name`, for field selectors) and as requirements. */
export class NodeLabelFacts {
  /** domainOf's last key and answer: kept across solves, as the facts are. */
  #domainKey: string | undefined;
  #domain: string | undefined;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    readonly requirements: Requirements,
  ) {}

  /**
   * The one value the node's requirement on the key allows (undefined when it has none, or allows
   * none, several, or all but some). A solve's topology scans ask it of hundreds of nodes for one
   * key, solve after solve: the last key's answer is kept (the requirements never change).
   */
  domainOf(key: string): string | undefined {
    if (key !== this.#domainKey) {
      const r = this.requirements.get(key);
      this.#domainKey = key;
      this.#domain = r === undefined ? undefined : singleValue(r);
    }
    return this.#domain;
  }
}

function singleValue(r: Requirement): string | undefined {
  if (r.complement || r.values.size !== 1 || r.gt !== undefined || r.lt !== undefined) return undefined;
  for (const only of r.values) return only;
  return undefined;
}

const labelFacts = new WeakMap<Readonly<Record<string, string>>, { name: string; facts: NodeLabelFacts }>();

/** The facts of a node's label map, computed once per (label map, node name). Never mutate them. */
export function nodeLabelFacts(name: string, labels: Readonly<Record<string, string>>): NodeLabelFacts {
  const hit = labelFacts.get(labels);
  if (hit && hit.name === name) return hit.facts;
  const withName = { ...labels, 'metadata.name': name };
  const facts = new NodeLabelFacts(withName, Requirements.fromLabels(withName));
  labelFacts.set(labels, { name, facts });
  return facts;
}

interface PodListFacts {
  /** Every resource name the pods' requests use, first-seen order (registering it registers what each pod's would). */
  readonly names: ResourceList;
  readonly requests: readonly ResourceList[];
  readonly hostPorts: readonly HostPort[];
  /** Per resource layout (the space's names joined), the summed requests. */
  readonly used: Map<string, Vec>;
}

const podListFacts = new WeakMap<readonly Pod[], PodListFacts>();
/** Layouts remembered per pod list: one solve's pools and pods rarely bring more than a couple. */
const LAYOUTS_PER_LIST = 4;

function listFacts(pods: readonly Pod[]): PodListFacts {
  let f = podListFacts.get(pods);
  if (!f) {
    const names: Record<string, number> = {};
    const requests: ResourceList[] = [];
    const hostPorts: HostPort[] = [];
    for (let i = 0; i < pods.length; i++) {
      const r = safePodRequests(pods[i]!);
      requests.push(r);
      for (const k in r) names[k] = 0;
      const ports = podHostPorts(pods[i]!);
      for (let j = 0; j < ports.length; j++) hostPorts.push(ports[j]!);
    }
    f = { names, requests, hostPorts, used: new Map<string, Vec>() };
    podListFacts.set(pods, f);
  }
  return f;
}

/** Every resource name the requests of a node's pods use, first-seen order (the keys of the result). Never mutate it. */
export function podListNames(pods: readonly Pod[]): ResourceList {
  return listFacts(pods).names;
}

/** Registers every resource the requests of a node's pods use (as registering each pod's requests in order would). */
export function registerPodList(space: ResourceSpace, pods: readonly Pod[]): void {
  space.register(listFacts(pods).names);
}

/** The host ports the pods of a node hold, in pod order. Never mutate the result. */
export function podListHostPorts(pods: readonly Pod[]): readonly HostPort[] {
  return listFacts(pods).hostPorts;
}

/**
 * The summed requests of a node's pods as a vector of the (frozen) space, added in pod order; kept
 * per layout. `layout` is `space.names.join(',')`. Never mutate the result.
 */
export function podListUsage(space: ResourceSpace, layout: string, pods: readonly Pod[]): Vec {
  const f = listFacts(pods);
  let used = f.used.get(layout);
  if (!used) {
    used = space.zero();
    for (let i = 0; i < f.requests.length; i++) addInto(used, space.vector(f.requests[i]!));
    if (f.used.size >= LAYOUTS_PER_LIST) f.used.clear();
    f.used.set(layout, used);
  }
  return used;
}
