/**
 * What a NodePool's status and annotations should say, computed from the NodePool and its usage:
 * the ValidationSucceeded condition, the resources and node count of its machines, and the drift
 * hash annotations. Pure: the controller compares and writes.
 */
import type { Condition } from '../../apis/core.js';
import { specKey } from '../../apis/core.js';
import { formatProblems, validateNodePool } from '../../apis/v1/validation.js';
import type { NodePool } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { nodePoolHashAnnotations } from '../../apis/v1/hash.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { ResourceList } from '../../utils/resources.js';
import { resourcesToQuantities } from '../../utils/resources.js';

export const VALIDATION_SUCCEEDED_REASON = 'ValidationSucceeded';
export const VALIDATION_FAILED_REASON = 'ValidationFailed';

interface Derived {
  readonly key: string;
  readonly problems: ReturnType<typeof validateNodePool>;
  readonly hashes?: Record<string, string> | undefined;
}

/**
 * The pool's validation problems and hash annotations, worked out once per specKey: the controller
 * reconciles a pool after every change to its nodes, and status updates change neither.
 */
const derived = new Map<string, Derived>();

/**
 * The same per NodePool object: the cluster state replaces an object on every update and never
 * changes one in place, so an object seen before needs no specKey (a JSON string of the whole pool,
 * twice per reconcile and most of the controller's cost).
 */
const derivedByObject = new WeakMap<NodePool, Derived>();

function derivedOf(pool: NodePool): Derived {
  const seen = derivedByObject.get(pool);
  if (seen !== undefined) return seen;
  const entry = derivedBySpec(pool);
  derivedByObject.set(pool, entry);
  return entry;
}

function derivedBySpec(pool: NodePool): Derived {
  const name = pool.metadata.name ?? '';
  const key = specKey(pool);
  const hit = derived.get(name);
  if (hit?.key === key) return hit;
  const problems = validateNodePool(pool);
  const entry = { key, problems, hashes: problems.length === 0 ? nodePoolHashAnnotations(pool) : undefined };
  derived.set(name, entry);
  return entry;
}

/** The ValidationSucceeded condition for the pool now (lastTransitionTime kept if the status did not change). */
export function validationCondition(pool: NodePool, nowMs: number): Condition {
  const problems = derivedOf(pool).problems;
  const previous = pool.status?.conditions?.find((c) => c.type === ConditionTypes.ValidationSucceeded);
  const status = problems.length === 0 ? 'True' : 'False';
  const c: Condition = {
    type: ConditionTypes.ValidationSucceeded,
    status,
    reason: problems.length === 0 ? VALIDATION_SUCCEEDED_REASON : VALIDATION_FAILED_REASON,
    message: problems.length === 0 ? '' : formatProblems(problems).replaceAll('\n', '; '),
    lastTransitionTime: previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : formatKubeTime(nowMs),
  };
  if (pool.metadata.generation !== undefined) c.observedGeneration = pool.metadata.generation;
  return c;
}

/** Whether two conditions say the same (the transition time aside). */
export function sameCondition(a: Condition | undefined, b: Condition): boolean {
  return a !== undefined && a.status === b.status && (a.reason ?? '') === (b.reason ?? '')
    && (a.message ?? '') === (b.message ?? '') && a.observedGeneration === b.observedGeneration;
}

/** The conditions with `c` put in place of its type's, keeping the others in order. */
export function putCondition(conditions: readonly Condition[] | undefined, c: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) list.push(c);
  else list[i] = c;
  return list;
}

export interface UsageStatus {
  /** Quantities, `nodes` included (as Karpenter reports it). */
  readonly resources: Record<string, string>;
  readonly nodes: number;
}

export function usageStatus(usage: ResourceList): UsageStatus {
  return { resources: resourcesToQuantities(usage), nodes: usage['nodes'] ?? 0 };
}

/**
 * The merge patch of status.resources from `current` to `desired` (null removes a key), or
 * undefined when they are equal.
 */
export function resourcesPatch(current: Readonly<Record<string, string | number>> | undefined, desired: Record<string, string>): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  let changed = false;
  for (const [k, v] of Object.entries(desired)) {
    if (String(current?.[k]) !== v) {
      patch[k] = v;
      changed = true;
    }
  }
  for (const k of Object.keys(current ?? {})) {
    if (!(k in desired)) {
      patch[k] = null;
      changed = true;
    }
  }
  return changed ? patch : undefined;
}

/** The hash annotations the pool lacks or has stale, or undefined when they are current (or it is invalid). */
export function hashAnnotationsPatch(pool: NodePool): Record<string, string> | undefined {
  const desired = derivedOf(pool).hashes;
  if (desired === undefined) return undefined;
  const current = pool.metadata.annotations ?? {};
  return Object.entries(desired).every(([k, v]) => current[k] === v) ? undefined : desired;
}
