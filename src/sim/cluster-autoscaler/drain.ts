/**
 * Draining a node as the Cluster Autoscaler's actuator does: every pod that must move is evicted
 * through the eviction API (so PodDisruptionBudgets are honoured), a refused eviction is retried
 * every `evictionRetryMs` until `maxPodEvictionTimeMs`, each pod gets at most
 * `maxGracefulTerminationSec` to stop, and the drain then waits for the evicted pods to be gone
 * (up to their grace period plus a headroom). Any pod left means the drain failed.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';

export interface DrainOptions {
  readonly maxPodEvictionTimeMs: number;
  readonly evictionRetryMs: number;
  readonly maxGracefulTerminationSec: number;
  readonly podEvictionHeadroomMs: number;
}

/** How often the drain looks whether evicted pods are gone (the Cluster Autoscaler polls every 5 s). */
export const POD_GONE_POLL_MS = 5_000;
const DEFAULT_GRACE_SEC = 30;

export interface DrainResult {
  readonly ok: boolean;
  /** Pods evicted (accepted by the API server). */
  readonly evicted: readonly string[];
  /** Eviction attempts refused (429 and other errors). */
  readonly refusals: number;
  /** Why it failed ("default/web-1: Cannot evict pod as it would violate the pod's disruption budget"). */
  readonly failure?: string;
}

function graceSeconds(pod: Pod, maxSec: number): number {
  return Math.min(pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SEC, maxSec);
}

/** Evicts the pods of `nodeName` and waits for them to go. Never throws: failures are in the result. */
export async function drainPods(kube: KubeClient, clock: Clock, nodeName: string, pods: readonly Pod[], o: DrainOptions): Promise<DrainResult> {
  let refusals = 0;
  const evicted: string[] = [];
  const evictOne = async (pod: Pod): Promise<string | undefined> => {
    const deadline = clock.now() + o.maxPodEvictionTimeMs;
    const gracePeriodSeconds = graceSeconds(pod, o.maxGracefulTerminationSec);
    for (;;) {
      try {
        await kube.evict(pod, { gracePeriodSeconds });
        evicted.push(keyOf(pod));
        return undefined;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        refusals++;
        if (clock.now() + o.evictionRetryMs > deadline) {
          return `${keyOf(pod)}: ${(e as Error).message} (evictions retried for ${Math.round(o.maxPodEvictionTimeMs / 1000)}s)`;
        }
      }
      await clock.sleep(o.evictionRetryMs);
    }
  };
  const failures = (await Promise.all(pods.map(evictOne))).filter((f): f is string => f !== undefined);
  if (failures.length > 0) return { ok: false, evicted, refusals, failure: `draining ${nodeName}: ${failures[0]!}` };

  const maxGrace = Math.max(0, ...pods.map((p) => graceSeconds(p, o.maxGracefulTerminationSec)));
  const deadline = clock.now() + maxGrace * 1000 + o.podEvictionHeadroomMs;
  for (;;) {
    const left = await remaining(kube, pods, nodeName);
    if (left.length === 0) return { ok: true, evicted, refusals };
    if (clock.now() >= deadline) {
      return { ok: false, evicted, refusals, failure: `draining ${nodeName}: ${left.length} evicted pods still there after ${Math.round((maxGrace * 1000 + o.podEvictionHeadroomMs) / 1000)}s (${left.slice(0, 3).join(', ')})` };
    }
    await clock.sleep(Math.min(POD_GONE_POLL_MS, Math.max(1, deadline - clock.now())));
  }
}

/** The pods still on the node (a pod recreated under the same name elsewhere is gone). */
async function remaining(kube: KubeClient, pods: readonly Pod[], nodeName: string): Promise<string[]> {
  const left: string[] = [];
  for (const pod of pods) {
    try {
      const now = await kube.get('Pod', pod.metadata.name ?? '', pod.metadata.namespace);
      if (now.metadata.uid === pod.metadata.uid && now.spec.nodeName === nodeName) left.push(keyOf(pod));
    } catch (e) {
      if (!isNotFound(e)) left.push(keyOf(pod));
    }
  }
  return left;
}
