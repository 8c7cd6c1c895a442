/**
 * The pod subresources with rules of their own: binding (assign once, never twice) and eviction
 * (a graceful deletion that a PodDisruptionBudget may refuse), following the API server's
 * registry code for pods.
 */
import type { Condition, Pod, PodDisruptionBudget } from '../../apis/core.js';
import { formatKubeTime } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { EvictOptions, PodRef } from '../types.js';
import type { StoredObject } from './object-store.js';
import type { PdbTracker } from './pdb-tracker.js';
import { isPodReady } from './pdb-tracker.js';
import type { ObjectWriter } from './writer.js';

function refName(ref: PodRef, doing: string): { name: string; namespace: string } {
  const name = ref.metadata.name;
  if (!name) throw new KubeError('Invalid', `${doing}: pod name is required`, { kind: 'Pod' });
  return { name, namespace: ref.metadata.namespace ?? 'default' };
}

function podConflict(name: string, message: string): KubeError {
  return new KubeError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": ${message}`, { kind: 'Pod', name });
}

function checkUid(ref: PodRef, pod: StoredObject, name: string): void {
  const uid = ref.metadata.uid;
  if (uid && uid !== pod.metadata.uid) {
    throw podConflict(name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid ?? ''}`);
  }
}

export class PodSubresources {
  constructor(readonly writer: ObjectWriter, readonly pdbs: PdbTracker) {}

  /**
   * Sets spec.nodeName and the PodScheduled=True condition.
   * @throws KubeError NotFound; Conflict (already bound, being deleted, uid changed); Invalid.
   */
  bind(ref: PodRef, nodeName: string): StoredObject {
    const { name, namespace } = refName(ref, 'binding pod');
    if (!nodeName) throw new KubeError('Invalid', `binding pod ${namespace}/${name}: target node name is required`, { kind: 'Pod', name });
    const old = this.writer.require('Pod', name, namespace);
    checkUid(ref, old, name);
    const pod = old as unknown as Pod;
    if (pod.metadata.deletionTimestamp) throw podConflict(name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (pod.spec.nodeName) throw podConflict(name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    const scheduled: Condition = { type: 'PodScheduled', status: 'True', lastTransitionTime: formatKubeTime(this.writer.clock.now()) };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled];
    const next = { ...old, metadata: { ...old.metadata }, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions } } as StoredObject;
    return this.writer.store.commit('Pod', 'MODIFIED', next, old);
  }

  /**
   * Deletes the pod gracefully unless its budget forbids it now.
   * @throws KubeError NotFound; TooManyRequests when the budget forbids (or has not been
   *   processed yet); InternalError when several budgets select the pod; Conflict for a stale uid.
   */
  evict(ref: PodRef, opts: EvictOptions = {}): void {
    const { name, namespace } = refName(ref, 'evicting pod');
    const stored = this.writer.require('Pod', name, namespace);
    checkUid(ref, stored, name);
    const pod = stored as unknown as Pod;
    const phase = pod.status?.phase;
    // Pods that are not running, or already going, cannot hurt availability: no budget applies.
    const ignoreBudgets = !!pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
    if (!ignoreBudgets) this.#checkBudget(pod, name, namespace);
    this.writer.delete('Pod', name, namespace, {
      preconditions: { uid: stored.metadata.uid ?? '' },
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    });
  }

  #checkBudget(pod: Pod, name: string, namespace: string): void {
    const budgets = this.pdbs.budgetsFor(pod);
    if (budgets.length > 1) {
      throw new KubeError('InternalError', `evicting pod ${namespace}/${name}: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.`,
        { kind: 'Pod', name, namespace });
    }
    const pdb = budgets[0];
    if (!pdb) return;
    const pdbName = pdb.metadata.name ?? '';
    const status = (pdb.status ?? {}) as PodDisruptionBudget['status'] & { observedGeneration?: number };
    if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
      throw tooMany(name, namespace, `the disruption budget ${pdbName} is still being processed by the server`);
    }
    const current = status.currentHealthy ?? 0;
    const desired = status.desiredHealthy ?? 0;
    const policy = (pdb.spec as { unhealthyPodEvictionPolicy?: string }).unhealthyPodEvictionPolicy;
    if (!isPodReady(pod) && (policy === 'AlwaysAllow' || (current >= desired && desired > 0))) return;
    if ((status.disruptionsAllowed ?? 0) <= 0) {
      throw tooMany(name, namespace, `The disruption budget ${pdbName} needs ${desired} healthy pods and has ${current} currently`);
    }
  }
}

function tooMany(name: string, namespace: string, cause: string): KubeError {
  return new KubeError('TooManyRequests', `evicting pod ${namespace}/${name}: Cannot evict pod as it would violate the pod's disruption budget.`,
    { kind: 'Pod', name, namespace, causes: [{ reason: 'DisruptionBudget', message: cause }], retryAfterSeconds: 0 });
}
