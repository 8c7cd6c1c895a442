/**
 * Taints and tolerations, matched as Kubernetes does (core/v1 Toleration.ToleratesTaint).
 */
import type { Taint, Toleration } from '../apis/core.js';

/**
 * Whether one toleration tolerates `taint`: an empty effect matches every effect, an empty key matches
 * every key (with Exists this tolerates everything), the operator defaults to Equal (values compared,
 * absent = ""), Exists ignores the value, and any other operator tolerates nothing.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`; none (undefined or []) tolerates nothing. */
export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/**
 * The first taint, in order, that the tolerations do not tolerate, or undefined when all are
 * tolerated. PreferNoSchedule taints are soft and skipped unless `opts.preferNoSchedule` is true.
 */
export function firstUntoleratedTaint(
  tolerations: readonly Toleration[] | undefined,
  taints: readonly Taint[] | undefined,
  opts?: { preferNoSchedule?: boolean },
): Taint | undefined {
  if (!taints) return undefined;
  const includeSoft = opts?.preferNoSchedule === true;
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule' && !includeSoft) continue;
    if (!tolerates(tolerations, taint)) return taint;
  }
  return undefined;
}

/** "key=value:Effect" (or "key:Effect" without a value), as kubectl prints a taint. */
export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}
