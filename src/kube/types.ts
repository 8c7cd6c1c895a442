/**
 * The KubeClient: what controllers may ask of a Kubernetes API server. Two implementations pass the
 * same contract suite (contract.ts): `memory/` (the embedded cluster of the simulator) and `real/`
 * (a live API server through @kubernetes/client-node).
 *
 * Every method returns fresh objects the caller may mutate, and copies what it is given: no
 * aliasing between the caller and the store. Failures are `KubeError`s (errors.ts).
 */
import type { LabelSelector } from '../apis/core.js';
import type { Kind, KindMap } from './kinds.js';

export type { Kind, KindMap, ObjectOf } from './kinds.js';

/**
 * An RFC 7386 JSON merge patch for T: objects merge key by key, `null` removes a key, arrays and
 * scalars replace. A `metadata.resourceVersion` in the patch is a precondition (Conflict when stale).
 */
export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [P in keyof T]?: MergePatch<T[P]> | null }
    : T;

/** Field selectors nodewright uses (the API server supports these for the kinds listed). */
export interface FieldSelector {
  /** Pods only. '' selects pods not yet bound to a node. */
  'spec.nodeName'?: string;
  'metadata.name'?: string;
  'metadata.namespace'?: string;
}

export interface ListOptions {
  /** Namespaced kinds: only this namespace (absent: all namespaces). Ignored for cluster-scoped kinds. */
  namespace?: string;
  /** Only objects whose labels match (an empty selector matches everything). */
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
}

export interface ListResult<T> {
  items: T[];
  /** Watch from here to see every change after this list, and nothing before it. */
  resourceVersion: string;
}

export interface WatchOptions extends ListOptions {
  /**
   * Deliver changes strictly after this version. Absent or "0": first an ADDED event for every
   * existing matching object, then changes.
   */
  resourceVersion?: string;
  /** Ask for periodic BOOKMARK events carrying the latest resourceVersion. */
  allowBookmarks?: boolean;
  /** The server ends the stream (normally) after this long. Absent: the server's default. */
  timeoutSeconds?: number;
  /** Aborting ends the stream normally. */
  signal?: AbortSignal;
}

/**
 * One change seen by a watch. With selectors, an object that starts matching arrives as ADDED and
 * one that stops matching as DELETED (carrying its last matching state, at the new resourceVersion).
 */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; resourceVersion: string };

/**
 * A stream of watch events. It ends normally on timeout, abort or when the server drops it (the
 * caller then watches again from the last resourceVersion it saw), and throws a KubeError when
 * the stream fails, notably `Gone` (410) when the requested resourceVersion is too old: relist.
 */
export type WatchStream<T> = AsyncIterable<WatchEvent<T>>;

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface DeleteOptions {
  /** Conflict (409) unless the stored object still has this uid / resourceVersion. */
  preconditions?: Preconditions;
  /** Pods: overrides spec.terminationGracePeriodSeconds; 0 deletes at once. */
  gracePeriodSeconds?: number;
}

export interface EvictOptions {
  /** As DeleteOptions.gracePeriodSeconds, for the deletion the eviction performs. */
  gracePeriodSeconds?: number;
}

/** What names a pod for bind/evict; a full Pod will do. A uid, if present, is a precondition. */
export interface PodRef {
  metadata: { name?: string; namespace?: string; uid?: string };
}

/** An events.k8s.io/v1 Event to record about an object. */
export interface EventInput {
  regarding: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  type: 'Normal' | 'Warning';
  /** CamelCase machine-readable reason ("Nominated", "DisruptionBlocked"). */
  reason: string;
  /** Human-readable text, at most 1 kB. */
  note: string;
  /** What was done ("Provisioning", "Evicting"); defaults to the reason. */
  action?: string;
  /** Defaults to "nodewright". */
  reportingController?: string;
}

/**
 * The Kubernetes API as the controllers use it. For namespaced kinds an absent namespace means
 * "default"; for cluster-scoped kinds the namespace is ignored.
 */
export interface KubeClient {
  /** @throws KubeError BadRequest for an unsupported field selector. */
  list<K extends Kind>(kind: K, opts?: ListOptions): Promise<ListResult<KindMap[K]>>;

  /** See WatchOptions and WatchStream; errors surface from the stream, not from this call. */
  watch<K extends Kind>(kind: K, opts?: WatchOptions): WatchStream<KindMap[K]>;

  /** @throws KubeError NotFound. */
  get<K extends Kind>(kind: K, name: string, namespace?: string): Promise<KindMap[K]>;

  /**
   * Creates the object; `metadata.generateName` gives it a unique name when `name` is absent.
   * Sets uid, creationTimestamp, resourceVersion and generation; where the kind has a status
   * subresource the status sent is replaced (Nodes excepted, see KindInfo.statusOnCreate).
   * @throws KubeError AlreadyExists, Invalid (no name, malformed name or spec).
   */
  create<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]>;

  /**
   * Replaces the object (status excluded where the kind has a status subresource). Removing the
   * last finalizer of an object being deleted deletes it.
   * @throws KubeError NotFound; Conflict when metadata.resourceVersion is stale; Invalid (e.g.
   *   a resourceVersion is required for custom resources, finalizers added during deletion).
   */
  update<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]>;

  /**
   * Applies a JSON merge patch to the main resource (status changes in it are ignored where the
   * kind has a status subresource).
   * @throws KubeError NotFound; Conflict for a stale metadata.resourceVersion in the patch; Invalid.
   */
  patch<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]>;

  /**
   * Applies a JSON merge patch to the status subresource: only `status` changes.
   * @throws KubeError NotFound; Conflict as for patch; BadRequest for a kind without status subresource.
   */
  patchStatus<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]>;

  /**
   * Deletes the object. With finalizers it only gets a deletionTimestamp and goes once they are
   * removed; a pod on a node is deleted gracefully (its kubelet finishes the deletion).
   * @throws KubeError NotFound; Conflict when a precondition fails.
   */
  delete<K extends Kind>(kind: K, name: string, namespace?: string, opts?: DeleteOptions): Promise<void>;

  /**
   * The pods/binding subresource: assigns the pod to a node and marks it PodScheduled.
   * @throws KubeError NotFound; Conflict when the pod is already bound, is being deleted, or its
   *   uid differs from pod.metadata.uid.
   */
  bind(pod: PodRef, nodeName: string): Promise<void>;

  /**
   * The pods/eviction subresource: deletes the pod gracefully if its PodDisruptionBudget allows.
   * Pods that are Pending, finished or already terminating are evicted regardless of budgets.
   * @throws KubeError NotFound; TooManyRequests (429) when a budget forbids it now (retry later);
   *   InternalError (500) when more than one budget selects the pod; Conflict for a stale uid.
   */
  evict(pod: PodRef, opts?: EvictOptions): Promise<void>;

  /** Records an Event in the regarding object's namespace ("default" for cluster-scoped objects). */
  recordEvent(event: EventInput): Promise<void>;
}
