/**
 * Pods as the cluster cache needs them: by key, by the node they are bound to (with the summed
 * requests of each node kept up to date incrementally), and the set of provisionable pods. Every
 * write is O(1) plus the pod's own request computation, done once per pod version.
 */
import type { Pod } from '../apis/core.js';
import { keyOf } from '../apis/core.js';
import { safePodRequests } from '../scheduling/object-facts.js';
import type { ResourceList } from '../utils/resources.js';
import { isOwnedByDaemonSet, isProvisionable, isTerminal, isUnbound } from './pod-predicates.js';

export interface PodEntry {
  readonly key: string;
  readonly pod: Pod;
  /** Effective requests (a pod whose quantities do not parse counts as `pods: 1`). */
  readonly requests: ResourceList;
  readonly nodeName: string | undefined;
  readonly daemon: boolean;
  /** Not terminal: its requests use the node's resources. */
  readonly counted: boolean;
  readonly provisionable: boolean;
  readonly unbound: boolean;
}

/**
 * The API server validated the pod; an unparsable quantity here is a bug in a test fixture or a
 * client, and one bad pod must not take the cache down: it counts as `pods: 1`. Worked out once
 * per pod object and shared with the solver, which is handed these very pods.
 */
function requestsOf(pod: Pod): ResourceList {
  return safePodRequests(pod);
}

function entryOf(pod: Pod): PodEntry {
  const nodeName = pod.spec.nodeName || undefined;
  return {
    key: keyOf(pod),
    pod,
    requests: requestsOf(pod),
    nodeName,
    daemon: isOwnedByDaemonSet(pod),
    counted: !isTerminal(pod),
    provisionable: isProvisionable(pod),
    unbound: isUnbound(pod),
  };
}

function addInto(into: Record<string, number>, r: ResourceList, sign: 1 | -1): void {
  for (const name in r) {
    const v = (into[name] ?? 0) + sign * r[name]!;
    if (v === 0) delete into[name];
    else into[name] = v;
  }
}

/** Versions are unique across buckets, so a bucket dropped and made again never repeats one. */
let versionSeq = 0;

/** The pods bound to one node name, with their summed requests. */
export class NodePods {
  readonly pods = new Map<string, PodEntry>();
  readonly requested: Record<string, number> = {};
  readonly daemonRequested: Record<string, number> = {};
  /** Changes on every write (never 0), so derived views know when to rebuild. */
  version = ++versionSeq;
  #podList: Pod[] | undefined;
  #daemonList: Pod[] | undefined;

  add(e: PodEntry): void {
    this.pods.set(e.key, e);
    this.#account(e, 1);
  }

  remove(e: PodEntry): void {
    if (!this.pods.delete(e.key)) return;
    this.#account(e, -1);
  }

  #account(e: PodEntry, sign: 1 | -1): void {
    this.version = ++versionSeq;
    this.#podList = undefined;
    this.#daemonList = undefined;
    if (!e.counted) return;
    addInto(this.requested, e.requests, sign);
    if (e.daemon) addInto(this.daemonRequested, e.requests, sign);
  }

  /** Non-terminal pods (cached until the next change). */
  activePods(): readonly Pod[] {
    return (this.#podList ??= [...this.pods.values()].filter((e) => e.counted).map((e) => e.pod));
  }

  /** Non-terminal DaemonSet pods (cached until the next change). */
  daemonPods(): readonly Pod[] {
    return (this.#daemonList ??= [...this.pods.values()].filter((e) => e.counted && e.daemon).map((e) => e.pod));
  }
}

/** What a pod write changed. */
export interface PodDelta {
  readonly previous: PodEntry | undefined;
  readonly current: PodEntry | undefined;
}

export class PodIndex {
  readonly #pods = new Map<string, PodEntry>();
  readonly #byNode = new Map<string, NodePods>();
  readonly #provisionable = new Map<string, Pod>();
  readonly #unbound = new Map<string, Pod>();

  get size(): number {
    return this.#pods.size;
  }

  get(key: string): PodEntry | undefined {
    return this.#pods.get(key);
  }

  values(): IterableIterator<PodEntry> {
    return this.#pods.values();
  }

  /** The pods bound to a node name (undefined when none are). */
  onNode(nodeName: string): NodePods | undefined {
    return this.#byNode.get(nodeName);
  }

  /** Provisionable pods, least recently changed first. */
  provisionable(): Pod[] {
    return [...this.#provisionable.values()];
  }

  /** Unbound pods (see isUnbound), least recently changed first. */
  unbound(): Pod[] {
    return [...this.#unbound.values()];
  }

  upsert(pod: Pod): PodDelta {
    const current = entryOf(pod);
    const previous = this.#pods.get(current.key);
    if (previous) this.#unlink(previous);
    this.#pods.set(current.key, current);
    this.#link(current);
    return { previous, current };
  }

  remove(key: string): PodDelta {
    const previous = this.#pods.get(key);
    if (!previous) return { previous: undefined, current: undefined };
    this.#unlink(previous);
    this.#pods.delete(key);
    return { previous, current: undefined };
  }

  #link(e: PodEntry): void {
    if (e.nodeName !== undefined) {
      let bucket = this.#byNode.get(e.nodeName);
      if (!bucket) this.#byNode.set(e.nodeName, (bucket = new NodePods()));
      bucket.add(e);
    }
    if (e.provisionable) this.#provisionable.set(e.key, e.pod);
    if (e.unbound) this.#unbound.set(e.key, e.pod);
  }

  #unlink(e: PodEntry): void {
    if (e.nodeName !== undefined) {
      const bucket = this.#byNode.get(e.nodeName);
      if (bucket) {
        bucket.remove(e);
        if (bucket.pods.size === 0) this.#byNode.delete(e.nodeName);
      }
    }
    this.#provisionable.delete(e.key);
    this.#unbound.delete(e.key);
  }
}
