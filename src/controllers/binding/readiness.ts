/**
 * When a machine may take the pods planned for it: its Node has registered, is initialised and
 * Ready, and carries none of the taints a starting node has (unregistered, the NodePool's startup
 * taints, the well-known not-ready ones). Taints that stay are a matter of fit, checked later.
 */
import type { Taint } from '../../apis/core.js';
import { KNOWN_EPHEMERAL_TAINTS, sameTaint } from '../../apis/labels.js';
import type { StateNode } from '../../state/state-node.js';

/** Why the machine cannot take pods yet, or undefined when it can. */
export function notReadyReason(sn: StateNode): string | undefined {
  const node = sn.node;
  if (!node) return 'no Node has registered for it yet';
  if (sn.deleting || sn.markedForDeletion || sn.disrupted) return 'it is being disrupted';
  if (!sn.registered) return 'it has not registered';
  if (!sn.initialized) return 'it is not initialized';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return 'its Node is not Ready';
  const taints = node.spec?.taints ?? [];
  const starting: readonly Readonly<Taint>[] = [...KNOWN_EPHEMERAL_TAINTS, ...(sn.nodeClaim?.spec.startupTaints ?? [])];
  const left = taints.find((t) => starting.some((s) => sameTaint(s, t)));
  if (left) return `its Node still has the startup taint ${left.key}:${left.effect}`;
  return undefined;
}
