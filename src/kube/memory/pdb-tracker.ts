/**
 * The disruption controller of the embedded cluster: keeps every PodDisruptionBudget's status
 * (expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed, observedGeneration) in step
 * with the pods it selects, as kube-controller-manager does, but synchronously after each write.
 *
 * Incremental: a pod write touches only the budgets of its namespace, and each budget keeps its
 * selected pods and counters, so no write rescans the namespace.
 */
import type { Condition, OwnerReference, Pod, PodDisruptionBudget } from '../../apis/core.js';
import type { LabelPredicate } from '../../apis/selectors.js';
import { compileSelector } from '../../apis/selectors.js';
import type { Clock } from '../../utils/clock.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { Change, ObjectStore, StoredObject } from './object-store.js';
import { keyOfStored, storeKey } from './object-store.js';

interface PodFacts {
  healthy: boolean;
  /** "Kind/name" of the pod's controller, if it has one. */
  controller: string | undefined;
}

interface Budget {
  readonly key: string;
  readonly namespace: string;
  predicate: LabelPredicate;
  readonly pods: Map<string, PodFacts>;
  healthy: number;
  /** Selected pods per controller, and selected pods with none: enough to count expected pods. */
  readonly controllers: Map<string, number>;
  bare: number;
}

function addPod(b: Budget, key: string, facts: PodFacts): void {
  b.pods.set(key, facts);
  if (facts.healthy) b.healthy++;
  if (facts.controller) b.controllers.set(facts.controller, (b.controllers.get(facts.controller) ?? 0) + 1);
  else b.bare++;
}

function removePod(b: Budget, key: string, facts: PodFacts): void {
  b.pods.delete(key);
  if (facts.healthy) b.healthy--;
  if (!facts.controller) b.bare--;
  else {
    const n = (b.controllers.get(facts.controller) ?? 1) - 1;
    if (n === 0) b.controllers.delete(facts.controller);
    else b.controllers.set(facts.controller, n);
  }
}

/** Running and Ready, and not being deleted: what the disruption controller counts as healthy. */
export function isPodHealthy(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running' && isPodReady(pod);
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function controllerOf(refs: OwnerReference[] | undefined): string | undefined {
  const ref = refs?.find((r) => r.controller === true);
  return ref ? `${ref.kind}/${ref.name}` : undefined;
}

function factsOf(pod: Pod): PodFacts {
  return { healthy: isPodHealthy(pod), controller: controllerOf(pod.metadata.ownerReferences) };
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  return Math.ceil((Number(value.replace(/%$/, '')) * total) / 100);
}

export class PdbTracker {
  readonly #byNamespace = new Map<string, Map<string, Budget>>();

  constructor(readonly store: ObjectStore, readonly clock: Clock) {
    store.subscribe((c) => this.#onChange(c));
  }

  /** The budgets (as stored now) whose selector matches the pod, in its namespace. */
  budgetsFor(pod: Pod): PodDisruptionBudget[] {
    const out: PodDisruptionBudget[] = [];
    for (const b of this.#byNamespace.get(pod.metadata.namespace ?? 'default')?.values() ?? []) {
      if (b.predicate(pod.metadata.labels)) out.push(this.store.get('PodDisruptionBudget', b.key) as unknown as PodDisruptionBudget);
    }
    return out;
  }

  #onChange(c: Change): void {
    if (c.kind === 'PodDisruptionBudget') this.#onBudget(c);
    else if (c.kind === 'Pod') this.#onPod(c);
    else if (c.kind === 'ReplicaSet' || c.kind === 'StatefulSet' || c.kind === 'Deployment') {
      const replicas = (o: StoredObject | undefined): unknown => (o?.spec as { replicas?: number } | undefined)?.replicas;
      if (c.type === 'MODIFIED' && replicas(c.previous) === replicas(c.object)) return;
      for (const b of this.#byNamespace.get(c.object.metadata.namespace ?? '')?.values() ?? []) this.#refresh(b);
    }
  }

  #onBudget(c: Change): void {
    const ns = c.object.metadata.namespace ?? 'default';
    const key = keyOfStored('PodDisruptionBudget', c.object);
    if (c.type === 'DELETED') {
      const budgets = this.#byNamespace.get(ns);
      budgets?.delete(key);
      if (budgets?.size === 0) this.#byNamespace.delete(ns);
      return;
    }
    const existing = this.#byNamespace.get(ns)?.get(key);
    if (existing && c.previous?.metadata.generation === c.object.metadata.generation) return; // a status or metadata write
    const pdb = c.object as unknown as PodDisruptionBudget;
    const budget: Budget = {
      key, namespace: ns, predicate: compileSelector(pdb.spec?.selector), pods: new Map(), healthy: 0, controllers: new Map(), bare: 0,
    };
    for (const obj of this.store.scan('Pod', { namespace: ns })) {
      const pod = obj as unknown as Pod;
      if (budget.predicate(pod.metadata.labels)) addPod(budget, keyOfStored('Pod', obj), factsOf(pod));
    }
    let budgets = this.#byNamespace.get(ns);
    if (!budgets) this.#byNamespace.set(ns, (budgets = new Map<string, Budget>()));
    budgets.set(key, budget);
    this.#refresh(budget);
  }

  #onPod(c: Change): void {
    const budgets = this.#byNamespace.get(c.object.metadata.namespace ?? 'default');
    if (!budgets) return;
    const key = keyOfStored('Pod', c.object);
    const pod = c.object as unknown as Pod;
    for (const b of budgets.values()) {
      const before = b.pods.get(key);
      const selected = c.type !== 'DELETED' && b.predicate(pod.metadata.labels);
      const after = selected ? factsOf(pod) : undefined;
      if (before?.healthy === after?.healthy && before?.controller === after?.controller && !!before === !!after) continue;
      if (before) removePod(b, key, before);
      if (after) addPod(b, key, after);
      this.#refresh(b);
    }
  }

  /** The replicas a pod controller wants, resolving a Deployment's ReplicaSets to the Deployment. */
  #scaleTarget(namespace: string, controller: string): { target: string; replicas: number } | undefined {
    const [kind, name] = controller.split('/') as [string, string];
    if (kind !== 'ReplicaSet' && kind !== 'StatefulSet' && kind !== 'Deployment') return undefined;
    const obj = this.store.get(kind, storeKey(kind, name, namespace));
    if (!obj) return undefined;
    if (kind === 'ReplicaSet') {
      const owner = controllerOf(obj.metadata.ownerReferences);
      if (owner?.startsWith('Deployment/')) {
        const up = this.#scaleTarget(namespace, owner);
        if (up) return up;
      }
    }
    return { target: `${kind}/${name}`, replicas: (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1 };
  }

  /**
   * Expected pods as the disruption controller counts them from the pods' controllers; a pod
   * whose controller is not in this store counts as one (a bare-pod simulation keeps a budget).
   */
  #expectedFromControllers(b: Budget): number {
    const counted = new Set<string>();
    let expected = b.bare;
    for (const [controller, pods] of b.controllers) {
      const t = this.#scaleTarget(b.namespace, controller);
      if (!t) expected += pods;
      else if (!counted.has(t.target)) {
        counted.add(t.target);
        expected += t.replicas;
      }
    }
    return expected;
  }

  #refresh(b: Budget): void {
    const stored = this.store.get('PodDisruptionBudget', b.key);
    if (!stored) return;
    const pdb = stored as unknown as PodDisruptionBudget;
    const spec = pdb.spec ?? {};
    let expected = b.pods.size;
    let desired = 0;
    if (spec.maxUnavailable !== undefined) {
      expected = this.#expectedFromControllers(b);
      desired = Math.max(0, expected - scaled(spec.maxUnavailable, expected));
    } else if (spec.minAvailable !== undefined) {
      if (typeof spec.minAvailable === 'number') desired = spec.minAvailable;
      else {
        expected = this.#expectedFromControllers(b);
        desired = scaled(spec.minAvailable, expected);
      }
    }
    const allowed = Math.max(0, b.healthy - desired);
    const generation = pdb.metadata.generation ?? 1;
    const old = (stored.status ?? {}) as Record<string, unknown>;
    const oldCondition = (old.conditions as Condition[] | undefined)?.find((c) => c.type === 'DisruptionAllowed');
    const conditionStatus = allowed > 0 ? 'True' : 'False';
    const condition: Condition = {
      type: 'DisruptionAllowed',
      status: conditionStatus,
      reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: generation,
      lastTransitionTime: oldCondition?.status === conditionStatus && oldCondition.lastTransitionTime
        ? oldCondition.lastTransitionTime
        : formatKubeTime(this.clock.now()),
    };
    const status = {
      observedGeneration: generation,
      disruptionsAllowed: allowed,
      currentHealthy: b.healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [condition],
    };
    if (old.observedGeneration === status.observedGeneration && old.disruptionsAllowed === allowed && old.currentHealthy === b.healthy
      && old.desiredHealthy === desired && old.expectedPods === expected && oldCondition?.status === conditionStatus) return;
    const next: StoredObject = { ...stored, metadata: { ...stored.metadata }, status };
    this.store.commit('PodDisruptionBudget', 'MODIFIED', next, stored);
  }
}
