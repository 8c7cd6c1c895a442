/**
 * The Cluster Autoscaler's node taints and the writes that set them: the soft
 * DeletionCandidateOfClusterAutoscaler (PreferNoSchedule) on nodes it finds unneeded, and the hard
 * ToBeDeletedByClusterAutoscaler (NoSchedule) on nodes it is removing. Both carry the time they
 * were set, in Unix seconds, as their value.
 */
import type { Taint } from '../../apis/core.js';
import { UNREGISTERED_TAINT_KEY } from '../../apis/labels.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';

export const TO_BE_DELETED_TAINT_KEY = 'ToBeDeletedByClusterAutoscaler';
export const DELETION_CANDIDATE_TAINT_KEY = 'DeletionCandidateOfClusterAutoscaler';

/** The hard taint, stamped with `nowMs`. */
export function toBeDeletedTaint(nowMs: number): Taint {
  return { key: TO_BE_DELETED_TAINT_KEY, value: String(Math.floor(nowMs / 1000)), effect: 'NoSchedule' };
}

/** The soft taint, stamped with `nowMs`. */
export function deletionCandidateTaint(nowMs: number): Taint {
  return { key: DELETION_CANDIDATE_TAINT_KEY, value: String(Math.floor(nowMs / 1000)), effect: 'PreferNoSchedule' };
}

/** A Node write of the autoscaler failed for a reason other than the node being gone. */
export class NodeTaintError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NodeTaintError';
  }
}

const ATTEMPTS = 5;

/**
 * Rewrites the node's taints with `change` (given the current ones), guarded by the node's
 * resourceVersion and retried on conflict. Does nothing when `change` returns undefined.
 * @returns false when the node does not exist (any more).
 * @throws NodeTaintError when the write keeps failing.
 */
export async function updateTaints(kube: KubeClient, nodeName: string, change: (taints: readonly Taint[]) => Taint[] | undefined): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      const node = await kube.get('Node', nodeName);
      const next = change(node.spec?.taints ?? []);
      if (next === undefined) return true;
      await kube.patch('Node', nodeName, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: next } });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      if (!isConflict(e) || attempt >= ATTEMPTS) throw new NodeTaintError(`updating the taints of node ${nodeName}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** `change` for updateTaints: adds `taint` unless a taint with its key is there. */
export function addingTaint(taint: Taint): (taints: readonly Taint[]) => Taint[] | undefined {
  return (taints) => (taints.some((t) => t.key === taint.key) ? undefined : [...taints, taint]);
}

/** `change` for updateTaints: removes taints with this key, if any. */
export function removingTaint(key: string): (taints: readonly Taint[]) => Taint[] | undefined {
  return (taints) => (taints.some((t) => t.key === key) ? taints.filter((t) => t.key !== key) : undefined);
}

/**
 * `change` for updateTaints at registration: a node of an Auto Scaling Group registers with the
 * group's taints (`--register-with-taints`), not with Karpenter's unregistered taint that the
 * simulated cloud's kubelet adds for nodewright.
 */
export function registrationTaints(groupTaints: readonly Taint[]): (taints: readonly Taint[]) => Taint[] | undefined {
  return (taints) => {
    const kept = taints.filter((t) => t.key !== UNREGISTERED_TAINT_KEY);
    const missing = groupTaints.filter((g) => !kept.some((t) => t.key === g.key && t.effect === g.effect));
    if (missing.length === 0 && kept.length === taints.length) return undefined;
    return [...kept, ...missing.map((t) => ({ ...t }))];
  };
}
