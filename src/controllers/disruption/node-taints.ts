/**
 * The karpenter.sh/disrupted:NoSchedule taint on Nodes being disrupted, so nothing new schedules
 * there. Read-modify-write with the resourceVersion as precondition, retried on conflicts.
 */
import type { Node, Taint } from '../../apis/core.js';
import { DISRUPTED_TAINT, isDisruptedTaint } from '../../apis/labels.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';
import { DisruptionError } from './errors.js';

const ATTEMPTS = 5;

async function editTaints(kube: KubeClient, name: string, what: string, edit: (taints: Taint[]) => Taint[] | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let node: Node;
    try {
      node = await kube.get('Node', name);
    } catch (e) {
      if (isNotFound(e)) return; // gone: nothing to taint or untaint
      throw new DisruptionError(`${what} node ${name}: ${(e as Error).message}`, { cause: e });
    }
    const next = edit([...(node.spec?.taints ?? [])]);
    if (next === undefined) return;
    try {
      await kube.patch('Node', name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: next } });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e) || attempt >= ATTEMPTS) throw new DisruptionError(`${what} node ${name}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Adds the disrupted taint (no-op when present or the Node is gone). @throws DisruptionError. */
export function taintDisrupted(kube: KubeClient, name: string): Promise<void> {
  return editTaints(kube, name, 'tainting', (taints) => (taints.some(isDisruptedTaint) ? undefined : [...taints, { ...DISRUPTED_TAINT }]));
}

/** Removes the disrupted taint (no-op when absent or the Node is gone). @throws DisruptionError. */
export function untaintDisrupted(kube: KubeClient, name: string): Promise<void> {
  return editTaints(kube, name, 'untainting', (taints) => (taints.some(isDisruptedTaint) ? taints.filter((t) => !isDisruptedTaint(t)) : undefined));
}
