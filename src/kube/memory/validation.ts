/**
 * The API server's validation that matters to nodewright's controllers, so the embedded cluster
 * rejects what a real one would (a controller tested only on memory must not pass by accident).
 */
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { compileSelector, SelectorError } from '../../apis/selectors.js';
import { KubeError } from '../errors.js';
import type { Kind } from '../kinds.js';
import { jsonEqual } from './json.js';
import type { StoredObject } from './object-store.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function invalid(kind: Kind, name: string | undefined, field: string, message: string): KubeError {
  return new KubeError('Invalid', `${kind} "${name ?? ''}" is invalid: ${field}: ${message}`,
    { kind, ...(name ? { name } : {}), causes: [{ reason: 'FieldValueInvalid', field, message }] });
}

/** @throws KubeError Invalid for a name the API server would refuse. */
export function validateName(kind: Kind, name: string, field = 'metadata.name'): void {
  const label = kind === 'Namespace';
  const max = label ? 63 : 253;
  if (name.length === 0 || name.length > max || !(label ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) {
    throw invalid(kind, name, field, `"${name}" must be a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} of at most ${max} characters`);
  }
}

function validateIntOrPercent(kind: Kind, name: string, field: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return;
  if (typeof v === 'string' && /^\d+%$/.test(v) && Number(v.slice(0, -1)) <= 100) return;
  throw invalid(kind, name, field, `${JSON.stringify(v)} must be a non-negative integer or a percentage ("50%")`);
}

function validatePdb(pdb: PodDisruptionBudget): void {
  const name = pdb.metadata.name ?? '';
  const spec = pdb.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    throw invalid('PodDisruptionBudget', name, 'spec', 'minAvailable and maxUnavailable cannot both be set');
  }
  validateIntOrPercent('PodDisruptionBudget', name, 'spec.minAvailable', spec.minAvailable);
  validateIntOrPercent('PodDisruptionBudget', name, 'spec.maxUnavailable', spec.maxUnavailable);
  try {
    compileSelector(spec.selector);
  } catch (e) {
    if (e instanceof SelectorError) throw invalid('PodDisruptionBudget', name, 'spec.selector', e.message);
    throw e;
  }
}

function validatePod(pod: Pod): void {
  const name = pod.metadata.name;
  const containers = (pod.spec as Pod['spec'] | undefined)?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw invalid('Pod', name, 'spec.containers', 'a pod needs at least one container');
  }
}

/** @throws KubeError Invalid. */
export function validateObject(kind: Kind, obj: StoredObject): void {
  if (kind === 'Pod') validatePod(obj as unknown as Pod);
  if (kind === 'PodDisruptionBudget') validatePdb(obj as unknown as PodDisruptionBudget);
}

/** Pod spec fields an update may change (the binding subresource sets nodeName). */
const MUTABLE_POD_SPEC = new Set(['tolerations', 'activeDeadlineSeconds', 'schedulingGates', 'terminationGracePeriodSeconds']);

/**
 * Checks a write of `next` over `old` (main resource).
 * @throws KubeError Invalid for finalizers added during deletion or a forbidden pod spec change.
 */
export function validateUpdate(kind: Kind, old: StoredObject, next: StoredObject): void {
  const name = old.metadata.name;
  if (old.metadata.deletionTimestamp) {
    const had = new Set(old.metadata.finalizers ?? []);
    const added = (next.metadata.finalizers ?? []).filter((f) => !had.has(f));
    if (added.length > 0) {
      throw new KubeError('Invalid', `${kind} "${name ?? ''}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        { kind, ...(name ? { name } : {}), causes: [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers' }] });
    }
  }
  if (kind === 'Pod') {
    const a = (old.spec ?? {}) as Record<string, unknown>;
    const b = (next.spec ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!MUTABLE_POD_SPEC.has(key) && !jsonEqual(a[key], b[key])) {
        throw invalid('Pod', name, `spec.${key}`, 'Forbidden: pod updates may not change fields other than tolerations, activeDeadlineSeconds, schedulingGates and terminationGracePeriodSeconds (spec.nodeName is set through the binding subresource)');
      }
    }
  }
  validateObject(kind, next);
}
