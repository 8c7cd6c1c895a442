/**
 * Which unschedulable pods a Cluster Autoscaler pass tries to help, and their equivalence groups.
 * Left out, as the Cluster Autoscaler leaves them out: DaemonSet pods (they follow nodes), expendable
 * pods (priority below the cutoff) and pods younger than `--new-pod-scale-up-delay`.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isOwnedByDaemonSet } from '../../state/pod-predicates.js';
import { parseKubeTime } from '../../utils/clock.js';

export interface PendingSelection {
  /** The pods to help, in the order given. */
  readonly pods: readonly Pod[];
  readonly expendable: number;
  readonly daemonSet: number;
  readonly tooYoung: number;
  /** Every pod to help is younger than the time buffer: wait one more pass for more of them. */
  readonly allNew: boolean;
}

export interface PendingOptions {
  readonly now: number;
  readonly expendablePodsPriorityCutoff: number;
  readonly newPodScaleUpDelayMs: number;
  readonly unschedulablePodTimeBufferMs: number;
}

/** What the selection reads of a pod, worked out once per pod object (informer objects are immutable). */
interface PodFacts {
  readonly daemonSet: boolean;
  readonly priority: number;
  /** Epoch ms of metadata.creationTimestamp; -Infinity without a parsable one. */
  readonly createdMs: number;
}

// Pods marked Unschedulable wait through many passes, each of which asks again.
const factsByPod = new WeakMap<Pod, PodFacts>();

function factsOf(pod: Pod): PodFacts {
  let f = factsByPod.get(pod);
  if (f === undefined) {
    const ts = pod.metadata.creationTimestamp;
    let createdMs = Number.NEGATIVE_INFINITY;
    try {
      if (ts) createdMs = parseKubeTime(ts);
    } catch {
      // Malformed: counts as old.
    }
    f = { daemonSet: isOwnedByDaemonSet(pod), priority: pod.spec.priority ?? 0, createdMs };
    factsByPod.set(pod, f);
  }
  return f;
}

/** Age from metadata.creationTimestamp; a pod without one (or with a malformed one) counts as old. */
export function podAgeMs(pod: Pod, now: number): number {
  return now - factsOf(pod).createdMs;
}

/** Splits the unschedulable pods into those to help and those left out (counted by reason). */
export function selectPendingPods(unschedulable: readonly Pod[], o: PendingOptions): PendingSelection {
  const pods: Pod[] = [];
  let expendable = 0;
  let daemonSet = 0;
  let tooYoung = 0;
  let oldest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < unschedulable.length; i++) {
    const pod = unschedulable[i]!;
    const f = factsOf(pod);
    if (f.daemonSet) daemonSet++;
    else if (f.priority < o.expendablePodsPriorityCutoff) expendable++;
    else {
      const age = o.now - f.createdMs;
      if (age < o.newPodScaleUpDelayMs) tooYoung++;
      else {
        pods.push(pod);
        oldest = Math.max(oldest, age);
      }
    }
  }
  return { pods, expendable, daemonSet, tooYoung, allNew: pods.length > 0 && oldest < o.unschedulablePodTimeBufferMs };
}

/** A set of pods the scheduler treats alike: same controller and the same scheduling-relevant spec. */
export interface EquivalenceGroup {
  readonly key: string;
  readonly pods: readonly Pod[];
}

/**
 * Equivalence groups, in the order their first pod appears. Pods without a controller are each a
 * group of their own (the Cluster Autoscaler groups only pods of one controller).
 */
export function equivalenceGroups(pods: readonly Pod[]): EquivalenceGroup[] {
  const groups = new Map<string, Pod[]>();
  for (const pod of pods) {
    const key = equivalenceKey(pod);
    const g = groups.get(key);
    if (g) g.push(pod);
    else groups.set(key, [pod]);
  }
  return [...groups].map(([key, ps]) => ({ key, pods: ps }));
}

function equivalenceKey(pod: Pod): string {
  const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (!controller) return `pod:${keyOf(pod)}`;
  const s = pod.spec;
  return JSON.stringify([
    controller.uid, pod.metadata.namespace ?? 'default', pod.metadata.labels ?? {},
    (s.containers ?? []).map((c) => c.resources ?? {}), s.initContainers?.map((c) => c.resources ?? {}) ?? [], s.overhead ?? {},
    s.nodeSelector ?? {}, s.affinity ?? {}, s.tolerations ?? [], s.topologySpreadConstraints ?? [], s.volumes ?? [], s.priority ?? 0,
  ]);
}
