/**
 * The writes the lifecycle, termination and garbage collection controllers make to Nodes and
 * NodeClaims. Lists (finalizers, conditions) are replaced whole by a merge patch, so every write
 * that carries one is guarded by the resourceVersion it was computed from: a concurrent writer
 * makes it fail with Conflict (retried by the caller's backoff) instead of losing that writer's change.
 */
import type { Node } from '../../apis/core.js';
import type { NodeClaim, NodeClaimStatus } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import type { KindMap, KubeClient, MergePatch } from '../../kube/types.js';
import type { ConditionUpdate } from './conditions.js';
import { applyConditions } from './conditions.js';

type MachineKind = 'Node' | 'NodeClaim';
type MachineObject<K extends MachineKind> = K extends 'Node' ? Node : NodeClaim;

/** The object, or undefined when it does not exist. @throws KubeError other than NotFound. */
export async function getIfExists<K extends MachineKind>(kube: KubeClient, kind: K, name: string): Promise<MachineObject<K> | undefined> {
  try {
    return await kube.get(kind, name) as MachineObject<K>;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Deletes the object; one already gone counts as deleted. @returns whether it still existed. @throws KubeError other than NotFound. */
export async function deleteIfExists(kube: KubeClient, kind: MachineKind, name: string): Promise<boolean> {
  try {
    await kube.delete(kind, name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

function hasFinalizer(obj: Node | NodeClaim, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

async function patchFinalizers<K extends MachineKind>(kube: KubeClient, kind: K, obj: MachineObject<K>, finalizers: string[]): Promise<MachineObject<K> | undefined> {
  const name = obj.metadata.name ?? '';
  const patch = { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } };
  try {
    return await kube.patch(kind, name, patch as MergePatch<KindMap[K]>) as MachineObject<K>;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Adds the finalizer unless present. @returns the object as written (or as given when nothing was
 * needed), undefined when it no longer exists. @throws KubeError Conflict when `obj` is stale.
 */
export async function ensureFinalizer<K extends MachineKind>(kube: KubeClient, kind: K, obj: MachineObject<K>, finalizer: string): Promise<MachineObject<K> | undefined> {
  if (hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(kube, kind, obj, [...(obj.metadata.finalizers ?? []), finalizer]);
}

/**
 * Removes the finalizer if present (the object goes once its last finalizer is removed during
 * deletion). @returns the object as written, undefined when it is gone. @throws KubeError Conflict
 * when `obj` is stale.
 */
export async function removeFinalizer<K extends MachineKind>(kube: KubeClient, kind: K, obj: MachineObject<K>, finalizer: string): Promise<MachineObject<K> | undefined> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(kube, kind, obj, (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer));
}

/**
 * Writes status fields and condition updates to the claim's status subresource, guarded by its
 * resourceVersion; nothing is written when nothing would change.
 * @returns the claim as written (or as given), undefined when it no longer exists.
 * @throws KubeError Conflict when `claim` is stale.
 */
export async function patchClaimStatus(
  kube: KubeClient,
  claim: NodeClaim,
  now: number,
  conditions: readonly ConditionUpdate[],
  fields: Omit<NodeClaimStatus, 'conditions'> = {},
): Promise<NodeClaim | undefined> {
  const applied = applyConditions(claim.status?.conditions, conditions, now);
  const changedFields = Object.entries(fields).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((claim.status as Record<string, unknown> | undefined)?.[k]));
  if (!applied.changed && changedFields.length === 0) return claim;
  const status: MergePatch<NodeClaimStatus> = { ...Object.fromEntries(changedFields) };
  if (applied.changed) status.conditions = applied.conditions;
  try {
    return await kube.patchStatus('NodeClaim', claim.metadata.name ?? '', { metadata: { resourceVersion: claim.metadata.resourceVersion }, status });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
