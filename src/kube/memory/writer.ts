/**
 * API-server write semantics over the object store: create (generateName, uid, timestamps),
 * update and merge patch with resourceVersion preconditions, the status subresource, generation,
 * no-op writes, and deletion with preconditions, finalizers and pod grace periods.
 *
 * Inputs are copied on the way in; what this returns is the stored (immutable) object, which the
 * client copies on the way out.
 */
import type { Pod } from '../../apis/core.js';
import type { Clock } from '../../utils/clock.js';
import { formatKubeTime } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { Kind } from '../kinds.js';
import { KINDS } from '../kinds.js';
import type { DeleteOptions } from '../types.js';
import { applyMergePatch, copyJson, JsonValueError, jsonEqual } from './json.js';
import type { NameGenerator } from './names.js';
import type { ObjectStore, StoredObject } from './object-store.js';
import { storeKey } from './object-store.js';
import { validateName, validateObject, validateUpdate } from './validation.js';

/** generateName prefixes are cut so that prefix + 5 characters stays a valid name. */
const MAX_GENERATE_NAME_PREFIX = 58;
const DEFAULT_POD_GRACE_SECONDS = 30;

/**
 * NotFound, made without a stack trace: it is an answer callers expect (a get of what may be gone,
 * a delete of what went), given tens of thousands of times in a simulated day, and capturing the
 * stack was most of its cost (6 of 7 µs). Its message and details say what was asked for.
 */
function notFound(kind: Kind, name: string, namespace?: string): KubeError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new KubeError('NotFound', `${KINDS[kind].plural} "${name}" not found`, { kind, name, ...(namespace ? { namespace } : {}) });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function conflict(kind: Kind, name: string, message: string): KubeError {
  return new KubeError('Conflict', `Operation cannot be fulfilled on ${KINDS[kind].plural} "${name}": ${message}`, { kind, name });
}

/** Copies caller input, turning a non-JSON value into Invalid. */
function copyInput<T>(kind: Kind, doing: string, value: T): T {
  try {
    return copyJson(value);
  } catch (e) {
    if (e instanceof JsonValueError) throw new KubeError('Invalid', `${doing} ${kind}: ${e.message}`, { kind }, { cause: e });
    throw e;
  }
}

function isSpecKey(key: string): boolean {
  return key !== 'metadata' && key !== 'status' && key !== 'apiVersion' && key !== 'kind';
}

/** Everything but metadata and status: a change here is a spec change and bumps generation. */
function specEqual(a: StoredObject, b: StoredObject): boolean {
  for (const key in a) if (isSpecKey(key) && !jsonEqual(a[key], b[key])) return false;
  for (const key in b) if (!Object.hasOwn(a, key) && isSpecKey(key) && !jsonEqual(a[key], b[key])) return false;
  return true;
}

/** Metadata only the server sets: a write keeps the stored values. */
const SERVER_METADATA = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion'] as const;

function hasFinalizers(obj: StoredObject): boolean {
  return (obj.metadata.finalizers?.length ?? 0) > 0;
}

/**
 * The grace period the API server gives a pod deletion: the requested one, else the pod's
 * terminationGracePeriodSeconds (default 30); 0 for pods never bound or already finished.
 */
export function podDeletionGrace(pod: Pod, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS;
  return Math.max(0, Math.floor(grace));
}

export class ObjectWriter {
  constructor(readonly store: ObjectStore, readonly clock: Clock, readonly names: NameGenerator) {}

  /** The stored object or NotFound. */
  require(kind: Kind, name: string, namespace?: string): StoredObject {
    const obj = this.store.get(kind, storeKey(kind, name, namespace));
    if (!obj) throw notFound(kind, name, namespace);
    return obj;
  }

  /**
   * @param owned `input` is a fresh JSON value the embedded cluster built and nobody else holds
   * (a recorded Event): it is stored as it is, not copied first.
   * @throws KubeError AlreadyExists, Invalid, BadRequest (resourceVersion set).
   */
  create(kind: Kind, input: unknown, owned = false): StoredObject {
    const info = KINDS[kind];
    const obj = (owned ? input : copyInput(kind, 'creating', input)) as StoredObject;
    if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) {
      throw new KubeError('Invalid', `creating ${kind}: metadata is required`, { kind });
    }
    const meta = obj.metadata;
    if (meta.resourceVersion) throw new KubeError('BadRequest', `creating ${kind}: resourceVersion should not be set on objects to be created`, { kind });
    if (info.namespaced) {
      meta.namespace ??= 'default';
      validateName('Namespace', meta.namespace, 'metadata.namespace');
    } else delete meta.namespace;
    let name = meta.name;
    const generated = !name;
    if (!name) {
      if (!meta.generateName) throw new KubeError('Invalid', `creating ${kind}: metadata.name or metadata.generateName is required`, { kind });
      const prefix = meta.generateName.slice(0, MAX_GENERATE_NAME_PREFIX);
      do name = prefix + this.names.suffix();
      while (this.store.get(kind, storeKey(kind, name, meta.namespace)));
      meta.name = name;
    }
    validateName(kind, name);
    // A generated name was just found free.
    if (!generated && this.store.get(kind, storeKey(kind, name, meta.namespace))) {
      throw new KubeError('AlreadyExists', `${info.plural} "${name}" already exists`, { kind, name });
    }
    validateObject(kind, obj);
    obj.apiVersion = info.apiVersion;
    obj.kind = kind;
    meta.uid = this.names.uid();
    meta.creationTimestamp = formatKubeTime(this.clock.now());
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (info.statusSubresource && info.statusOnCreate === 'reset') {
      if (info.initialStatus) obj.status = copyJson(info.initialStatus);
      else delete obj.status;
    }
    return this.store.commit(kind, 'ADDED', obj);
  }

  /** @throws KubeError NotFound, Conflict, Invalid. */
  update(kind: Kind, input: unknown): StoredObject {
    const obj = copyInput(kind, 'updating', input) as StoredObject;
    const name = obj?.metadata?.name;
    if (!name) throw new KubeError('Invalid', `updating ${kind}: metadata.name is required`, { kind });
    const old = this.require(kind, name, obj.metadata.namespace);
    const rv = obj.metadata.resourceVersion;
    if (rv) {
      if (rv !== old.metadata.resourceVersion) throw conflict(kind, name, 'the object has been modified; please apply your changes to the latest version and try again');
    } else if (!KINDS[kind].unconditionalUpdate) {
      throw new KubeError('Invalid', `${kind} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`, { kind, name });
    }
    if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
      throw conflict(kind, name, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    return this.write(kind, old, obj, 'main');
  }

  /** @throws KubeError NotFound, Conflict (stale metadata.resourceVersion in the patch), Invalid, BadRequest. */
  patch(kind: Kind, name: string, namespace: string | undefined, patch: unknown, subresource: 'main' | 'status'): StoredObject {
    if (subresource === 'status' && !KINDS[kind].statusSubresource) {
      throw new KubeError('BadRequest', `patching status of ${kind} "${name}": ${kind} has no status subresource`, { kind, name });
    }
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new KubeError('BadRequest', `patching ${kind} "${name}": a merge patch must be a JSON object`, { kind, name });
    }
    const old = this.require(kind, name, namespace);
    const rv = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== old.metadata.resourceVersion) {
      throw conflict(kind, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    let merged: StoredObject;
    try {
      merged = applyMergePatch(old, patch) as StoredObject;
    } catch (e) {
      if (e instanceof JsonValueError) throw new KubeError('Invalid', `patching ${kind} "${name}": ${e.message}`, { kind, name }, { cause: e });
      throw e;
    }
    if (typeof merged.metadata !== 'object' || merged.metadata === null) merged.metadata = {};
    return this.write(kind, old, merged, subresource);
  }

  /**
   * Writes `candidate` over `old` with the API server's rules: immutable metadata kept, status
   * or everything-but-status kept depending on the subresource, generation bumped on spec
   * changes, no new version for a no-op, deletion once the last finalizer goes.
   */
  write(kind: Kind, old: StoredObject, candidate: StoredObject, subresource: 'main' | 'status'): StoredObject {
    const info = KINDS[kind];
    let next: StoredObject;
    if (subresource === 'status') {
      next = { ...old, metadata: { ...old.metadata } };
      if (candidate.status === undefined) delete next.status;
      else next.status = candidate.status;
    } else {
      next = { ...candidate, apiVersion: old.apiVersion, kind: old.kind };
      if (info.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
      next.metadata = { ...candidate.metadata };
    }
    const meta = next.metadata;
    // A status write took the stored metadata whole.
    if (subresource === 'main') {
      for (const field of SERVER_METADATA) {
        const value = old.metadata[field];
        if (value === undefined) delete meta[field];
        else (meta as Record<string, unknown>)[field] = value;
      }
      validateUpdate(kind, old, next);
    }
    if (!specEqual(old, next)) meta.generation = (old.metadata.generation ?? 0) + 1;
    if (jsonEqual(old, next)) return old;
    if (meta.deletionTimestamp && !hasFinalizers(next) && (meta.deletionGracePeriodSeconds ?? 0) === 0) {
      return this.store.commit(kind, 'DELETED', next, old);
    }
    return this.store.commit(kind, 'MODIFIED', next, old);
  }

  /**
   * Deletes now, or marks for deletion (finalizers; pods given a grace period). A repeated
   * delete of a terminating pod may only shorten its grace period.
   * @throws KubeError NotFound, Conflict (precondition).
   */
  delete(kind: Kind, name: string, namespace: string | undefined, opts: DeleteOptions = {}): StoredObject {
    const old = this.require(kind, name, namespace);
    const pre = opts.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw conflict(kind, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(kind, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`);
    }
    const grace = kind === 'Pod' ? podDeletionGrace(old as unknown as Pod, opts.gracePeriodSeconds) : 0;
    const current = old.metadata.deletionGracePeriodSeconds;
    if (old.metadata.deletionTimestamp && (current === undefined || grace >= current)) return old;
    if (grace === 0 && !hasFinalizers(old)) return this.store.commit(kind, 'DELETED', { ...old, metadata: { ...old.metadata } }, old);
    const now = this.clock.now();
    const metadata = {
      ...old.metadata,
      deletionTimestamp: formatKubeTime(now + grace * 1000),
      deletionGracePeriodSeconds: grace,
    };
    return this.store.commit(kind, 'MODIFIED', { ...old, metadata }, old);
  }
}
