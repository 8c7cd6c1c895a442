/**
 * The plan provisioning remembers between rounds: which pod was planned onto which NodeClaim (or
 * existing Node), and what each launched claim keeps back for its DaemonSet pods. Provisioning
 * reads it so a pod nominated to capacity still on its way is not planned a second time; direct
 * binding reads it to know what to bind once a node is ready.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { ResourceList } from '../../utils/resources.js';

export interface PlanEntry {
  /** "namespace/name". */
  readonly pod: string;
  /** The uid of the pod that was planned (a recreated pod of the same name is another pod). */
  readonly uid: string | undefined;
  /** NodeClaim or Node name. */
  readonly target: string;
  /** Epoch ms. */
  readonly plannedAt: number;
}

export type PlanListener = (target: string) => void;

export class PlanBook {
  readonly #byPod = new Map<string, PlanEntry>();
  readonly #byTarget = new Map<string, Map<string, PlanEntry>>();
  readonly #daemonReserve = new Map<string, ResourceList>();
  #listeners: readonly PlanListener[] = [];

  get size(): number {
    return this.#byPod.size;
  }

  /** Targets that have planned pods or a reservation. */
  targets(): string[] {
    return [...new Set([...this.#byTarget.keys(), ...this.#daemonReserve.keys()])];
  }

  /**
   * Plans the pods onto the target, moving any of them planned elsewhere before, then tells the
   * listeners (once per call).
   */
  plan(pods: readonly Pod[], target: string, now: number): void {
    if (pods.length === 0) return;
    // Forget first: forgetting may drop the target's emptied bucket.
    for (const pod of pods) this.forget(keyOf(pod));
    let bucket = this.#byTarget.get(target);
    if (!bucket) this.#byTarget.set(target, (bucket = new Map<string, PlanEntry>()));
    for (const pod of pods) {
      const key = keyOf(pod);
      const entry: PlanEntry = { pod: key, uid: pod.metadata.uid, target, plannedAt: now };
      this.#byPod.set(key, entry);
      bucket.set(key, entry);
    }
    for (const l of this.#listeners) l(target);
  }

  /** Keeps `overhead` free on the target for the DaemonSet pods it will run. */
  reserveDaemonOverhead(target: string, overhead: ResourceList): void {
    this.#daemonReserve.set(target, overhead);
  }

  daemonOverhead(target: string): ResourceList | undefined {
    return this.#daemonReserve.get(target);
  }

  /** The pod's entry, if it is planned. */
  of(pod: string): PlanEntry | undefined {
    return this.#byPod.get(pod);
  }

  /** How many pods are planned onto the target (onTarget's length, without building the list). */
  plannedOnto(target: string): number {
    return this.#byTarget.get(target)?.size ?? 0;
  }

  /** Entries planned onto the target, in planning order. */
  onTarget(target: string): PlanEntry[] {
    return [...(this.#byTarget.get(target)?.values() ?? [])];
  }

  /** Forgets the pod's entry (bound, gone, or to be planned again). */
  forget(pod: string): void {
    const entry = this.#byPod.get(pod);
    if (!entry) return;
    this.#byPod.delete(pod);
    const bucket = this.#byTarget.get(entry.target);
    bucket?.delete(pod);
    if (bucket?.size === 0) this.#byTarget.delete(entry.target);
  }

  /** Forgets the target and every entry on it; returns the pods that were planned there. */
  forgetTarget(target: string): string[] {
    const bucket = this.#byTarget.get(target);
    this.#byTarget.delete(target);
    this.#daemonReserve.delete(target);
    if (!bucket) return [];
    for (const key of bucket.keys()) this.#byPod.delete(key);
    return [...bucket.keys()];
  }

  /** Adds a listener told after each plan() with the target; returns a function removing it. */
  onPlanned(listener: PlanListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }
}
