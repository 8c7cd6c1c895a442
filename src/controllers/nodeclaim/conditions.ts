/**
 * Status conditions of NodeClaims as the controllers set them: one condition per type, its
 * lastTransitionTime moving only when its status changes, and a reason always present (the API
 * requires one; a True condition's reason defaults to its type, as Karpenter's are).
 */
import type { Condition } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { formatKubeTime } from '../../utils/clock.js';

export interface ConditionUpdate {
  readonly type: string;
  readonly status: Condition['status'];
  /** CamelCase; defaults to the type. */
  readonly reason?: string;
  readonly message?: string;
}

/** The condition of this type on the claim, if any. */
export function findCondition(claim: NodeClaim | undefined, type: string): Condition | undefined {
  return claim?.status?.conditions?.find((c) => c.type === type);
}

/** Whether the claim has this condition with status True. */
export function isConditionTrue(claim: NodeClaim | undefined, type: string): boolean {
  return findCondition(claim, type)?.status === 'True';
}

/**
 * The conditions with each update applied (a new array; the input is not modified), and whether
 * anything changed. An update equal in status, reason and message to the stored condition changes
 * nothing; a new status stamps lastTransitionTime with `now`.
 */
export function applyConditions(
  conditions: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  now: number,
): { conditions: Condition[]; changed: boolean } {
  const out = [...(conditions ?? [])];
  let changed = false;
  for (const u of updates) {
    const reason = u.reason ?? u.type;
    const message = u.message ?? '';
    const i = out.findIndex((c) => c.type === u.type);
    const old = i < 0 ? undefined : out[i];
    if (old && old.status === u.status && (old.reason ?? '') === reason && (old.message ?? '') === message) continue;
    const next: Condition = {
      type: u.type,
      status: u.status,
      reason,
      message,
      lastTransitionTime: old && old.status === u.status && old.lastTransitionTime ? old.lastTransitionTime : formatKubeTime(now),
    };
    if (i < 0) out.push(next);
    else out[i] = next;
    changed = true;
  }
  return { conditions: out, changed };
}
