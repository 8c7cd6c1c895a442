/**
 * The kwok provider's "machine" is a Node object: how one is built from a launched NodeClaim, how
 * it is recognised as ours, and how it is read back as a NodeClaim. The provider ID is
 * `kwok://<zone>/<node name>`; the Node is named after its claim.
 */
import type { Node } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, HOSTNAME_LABEL, INSTANCE_TYPE_LABEL, KWOK_GROUP, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { registeringNode } from '../registering-node.js';

/** The annotation the KWOK controller selects nodes by (`--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake`). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';
/** The cluster a kwok node was launched for: the label list() selects by. */
export const KWOK_CLUSTER_LABEL = `${KWOK_GROUP}/cluster`;
/** The NodeClaim a kwok node was launched for. */
export const KWOK_NODECLAIM_ANNOTATION = `${KWOK_GROUP}/nodeclaim`;
/** The node class named by the claim. */
export const KWOK_NODECLASS_ANNOTATION = `${KWOK_GROUP}/nodeclass`;
/** Kwok nodes boot no image; this stands in for one. */
export const KWOK_IMAGE_ID = 'kwok';

const PROVIDER_ID = /^kwok:\/\/([^/]+)\/([^/]+)$/;

export function kwokProviderID(zone: string, name: string): string {
  return `kwok://${zone}/${name}`;
}

/** The zone and node name of a kwok provider ID, or undefined for anything else. */
export function parseKwokProviderID(providerID: string): { zone: string; name: string } | undefined {
  const m = PROVIDER_ID.exec(providerID);
  return m ? { zone: m[1]!, name: m[2]! } : undefined;
}

/** Whether the Node is a kwok node launched for this cluster. */
export function isKwokNodeOf(node: Node, clusterName: string): boolean {
  return node.metadata.labels?.[KWOK_CLUSTER_LABEL] === clusterName
    && node.metadata.annotations?.[KWOK_NODE_ANNOTATION] === KWOK_NODE_ANNOTATION_VALUE
    && parseKwokProviderID(node.spec?.providerID ?? '') !== undefined;
}

/**
 * The Node a kwok machine registers: the launched claim's labels plus the hostname and the cluster
 * label, the provider ID, the unregistered taint (Karpenter's lifecycle removes it at registration),
 * capacity and allocatable, and Ready=False until a node agent (ours or KWOK's) reports it ready.
 */
export function kwokNode(launched: NodeClaim, clusterName: string, now: number): Node {
  const name = launched.metadata.name!;
  return registeringNode(name, launched, now, {
    labels: { [KWOK_CLUSTER_LABEL]: clusterName },
    annotations: {
      [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE,
      [KWOK_NODECLAIM_ANNOTATION]: name,
      [KWOK_NODECLASS_ANNOTATION]: launched.spec.nodeClassRef.name,
    },
    notReadyMessage: 'kubelet has not posted ready status yet',
  });
}

/** A kwok Node read back as the NodeClaim it was launched for (name, labels, requirements, capacity). */
export function claimFromKwokNode(node: Node): NodeClaim {
  const labels = { ...(node.metadata.labels ?? {}) };
  delete labels[HOSTNAME_LABEL];
  delete labels[KWOK_CLUSTER_LABEL];
  const annotations = node.metadata.annotations ?? {};
  const requirements = [INSTANCE_TYPE_LABEL, ZONE_LABEL, CAPACITY_TYPE_LABEL]
    .filter((key) => labels[key] !== undefined)
    .map((key) => ({ key, operator: 'In' as const, values: [labels[key]!] }));
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: annotations[KWOK_NODECLAIM_ANNOTATION] ?? node.metadata.name, labels },
    spec: {
      requirements,
      nodeClassRef: { group: KWOK_GROUP, kind: 'KWOKNodeClass', name: annotations[KWOK_NODECLASS_ANNOTATION] ?? 'default' },
    },
    status: {
      providerID: node.spec?.providerID,
      imageID: KWOK_IMAGE_ID,
      nodeName: node.metadata.name,
      capacity: { ...(node.status?.capacity ?? {}) },
      allocatable: { ...(node.status?.allocatable ?? {}) },
    },
  };
}
