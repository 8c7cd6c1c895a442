/**
 * The Node object a machine registers for a launched NodeClaim, as the kubelet (or a kwok node
 * agent) writes it: the claim's labels (Karpenter passes them as --node-labels) plus the hostname,
 * the provider ID, the unregistered taint Karpenter's lifecycle removes at registration, the
 * claim's capacity and allocatable, and Ready=False until the node reports ready.
 */
import type { Node } from '../apis/core.js';
import { HOSTNAME_LABEL, UNREGISTERED_TAINT } from '../apis/labels.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { formatKubeTime } from '../utils/clock.js';

export interface RegisteringNodeExtras {
  /** Labels beyond the claim's and the hostname (e.g. the kwok cluster label). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The Ready=False condition's message. */
  readonly notReadyMessage: string;
}

/** The Node named `name` registering for `launched` at `now` (ms). */
export function registeringNode(name: string, launched: NodeClaim, now: number, extras: RegisteringNodeExtras): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { ...(launched.metadata.labels ?? {}), [HOSTNAME_LABEL]: name, ...extras.labels },
      ...(extras.annotations ? { annotations: { ...extras.annotations } } : {}),
    },
    spec: { providerID: launched.status?.providerID, taints: [{ ...UNREGISTERED_TAINT }] },
    status: {
      capacity: { ...(launched.status?.capacity ?? {}) },
      allocatable: { ...(launched.status?.allocatable ?? {}) },
      conditions: [{
        type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: extras.notReadyMessage, lastTransitionTime: formatKubeTime(now),
      }],
    },
  };
}
