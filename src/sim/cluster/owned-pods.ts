/**
 * What every workload controller stand-in shares: the owner reference it puts on its pods, and
 * "expectations" as kube-controller-manager keeps them, so a reconcile that runs before the
 * informer has seen the controller's own writes neither creates nor deletes twice.
 */
import type { OwnerReference, Pod } from '../../apis/core.js';
import type { ClusterView } from './cluster-view.js';
import { podStage } from './pod-facts.js';

/** A controller reference to put on owned pods. */
export function controllerRef(apiVersion: string, kind: string, name: string, uid: string): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** True for a pod that counts toward a controller's replicas: not finished, not being deleted. */
export function isActivePod(pod: Pod): boolean {
  const s = podStage(pod);
  return s !== 'finished' && s !== 'terminating';
}

/** A pod event a controller is told about. */
export type PodEventKind = 'add' | 'update' | 'delete';

/**
 * Whether the event takes a pod out of the active set (a pod that was counted is not any more):
 * the only pod change that makes a ReplicaSet or Job create a replacement. `old` is the state
 * before an update (undefined for adds and deletes, whose object is the last state).
 */
export function leftActiveSet(old: Pod | undefined, pod: Pod, kind: PodEventKind): boolean {
  switch (kind) {
    case 'add':
      return !isActivePod(pod);
    case 'update':
      return old !== undefined && isActivePod(old) && !isActivePod(pod);
    case 'delete':
      return isActivePod(pod);
  }
}

/** Creates and deletes a controller has made and the informer has not reflected yet. */
export class Expectations {
  readonly #adds = new Set<string>();
  readonly #deletes = new Set<string>();

  constructor(private readonly view: ClusterView) {}

  /** Pods created but not yet seen. */
  get pendingAdds(): number {
    return this.#adds.size;
  }

  /** Record a create that succeeded (unless the informer has seen the pod already). */
  created(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const seen = this.view.pods.getByName(pod.metadata.name ?? '', pod.metadata.namespace);
    if (seen?.metadata.uid !== uid) this.#adds.add(uid);
  }

  /** Record a delete that succeeded (unless the informer shows it going or gone already). */
  deleted(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const seen = this.view.pods.getByName(pod.metadata.name ?? '', pod.metadata.namespace);
    if (seen?.metadata.uid === uid && isActivePod(seen)) this.#deletes.add(uid);
  }

  /** True while a delete of this pod has not been reflected (count it as gone). */
  deleting(uid: string): boolean {
    return this.#deletes.has(uid);
  }

  /** How many of the pods `active` holds are being deleted (see deleting). */
  deletingAmong(active: ActivePods): number {
    let n = 0;
    for (const uid of this.#deletes) if (active.has(uid)) n++;
    return n;
  }

  /** The informer saw the pod: settle what was expected of it. */
  observe(pod: Pod, kind: PodEventKind): void {
    const uid = pod.metadata.uid ?? '';
    this.#adds.delete(uid);
    if (kind === 'delete' || !isActivePod(pod)) this.#deletes.delete(uid);
  }
}

/**
 * The uids of a controller's active pods (isActivePod), kept from the events it is told about, so a
 * reconcile counts them without listing every pod it owns. Exact when the controller is told about
 * every event of its pods from their creation on (the informer updates its store and tells its
 * handlers in one step, so this agrees with a listing at any time).
 */
export class ActivePods {
  readonly #uids = new Set<string>();

  /** Records what the event says of the pod. */
  observe(pod: Pod, kind: PodEventKind): void {
    const uid = pod.metadata.uid ?? '';
    if (kind !== 'delete' && isActivePod(pod)) this.#uids.add(uid);
    else this.#uids.delete(uid);
  }

  get size(): number {
    return this.#uids.size;
  }

  has(uid: string): boolean {
    return this.#uids.has(uid);
  }
}
