/**
 * The kinds nodewright reads and writes: one table of API group, version, resource name, scope and
 * subresource behaviour, used by every KubeClient implementation so they agree on it.
 */
import type {
  DaemonSet, Deployment, Event, Job, KubeObject, Lease, Node, PersistentVolume, PersistentVolumeClaim, Pod,
  PodDisruptionBudget, ReplicaSet, StatefulSet, StorageClass,
} from '../apis/core.js';
import type { EC2NodeClass } from '../apis/ec2nodeclass/types.js';
import type { NodeClaim, NodePool } from '../apis/v1/types.js';

/** core/v1 Namespace (not in apis/core.ts: only the client and tests need it). */
export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

/** Kind name → its TypeScript type. */
export interface KindMap {
  Namespace: Namespace;
  Pod: Pod;
  Node: Node;
  NodeClaim: NodeClaim;
  NodePool: NodePool;
  EC2NodeClass: EC2NodeClass;
  PodDisruptionBudget: PodDisruptionBudget;
  PersistentVolume: PersistentVolume;
  PersistentVolumeClaim: PersistentVolumeClaim;
  StorageClass: StorageClass;
  DaemonSet: DaemonSet;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  StatefulSet: StatefulSet;
  Job: Job;
  Lease: Lease;
  Event: Event;
}

export type Kind = keyof KindMap;
export type ObjectOf<K extends Kind> = KindMap[K];

export interface KindInfo {
  readonly kind: Kind;
  /** API group; '' is the core group. */
  readonly group: string;
  readonly version: string;
  /** "v1" for the core group, "group/version" otherwise. */
  readonly apiVersion: string;
  /** The resource name in URLs ("pods", "nodeclaims"). */
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * A status subresource exists: writes to the main resource keep the stored status and
   * status writes keep everything else.
   */
  readonly statusSubresource: boolean;
  /**
   * What the API server does with a status sent on create: 'keep' it (Nodes, whose kubelet
   * registers them with status), or replace it with `initialStatus` (everything else with a
   * status subresource).
   */
  readonly statusOnCreate: 'keep' | 'reset';
  /** The status a 'reset' create starts with (absent: no status). */
  readonly initialStatus?: Readonly<Record<string, unknown>>;
  /** Built-in kinds accept an update without metadata.resourceVersion; custom resources do not. */
  readonly unconditionalUpdate: boolean;
}

function info(kind: Kind, group: string, version: string, plural: string, namespaced: boolean,
  rest: Partial<Pick<KindInfo, 'statusSubresource' | 'statusOnCreate' | 'initialStatus' | 'unconditionalUpdate'>> = {}): KindInfo {
  const statusSubresource = rest.statusSubresource ?? true;
  return {
    kind, group, version, plural, namespaced,
    apiVersion: group === '' ? version : `${group}/${version}`,
    statusSubresource,
    statusOnCreate: rest.statusOnCreate ?? (statusSubresource ? 'reset' : 'keep'),
    ...(rest.initialStatus ? { initialStatus: rest.initialStatus } : {}),
    unconditionalUpdate: rest.unconditionalUpdate ?? true,
  };
}

const NO_STATUS = { statusSubresource: false } as const;

/** Every kind the clients support. */
export const KINDS: { readonly [K in Kind]: KindInfo } = {
  Namespace: info('Namespace', '', 'v1', 'namespaces', false, { initialStatus: { phase: 'Active' } }),
  Pod: info('Pod', '', 'v1', 'pods', true, { initialStatus: { phase: 'Pending' } }),
  Node: info('Node', '', 'v1', 'nodes', false, { statusOnCreate: 'keep' }),
  NodeClaim: info('NodeClaim', 'karpenter.sh', 'v1', 'nodeclaims', false, { unconditionalUpdate: false }),
  NodePool: info('NodePool', 'karpenter.sh', 'v1', 'nodepools', false, { unconditionalUpdate: false }),
  EC2NodeClass: info('EC2NodeClass', 'karpenter.k8s.aws', 'v1', 'ec2nodeclasses', false, { unconditionalUpdate: false }),
  PodDisruptionBudget: info('PodDisruptionBudget', 'policy', 'v1', 'poddisruptionbudgets', true),
  PersistentVolume: info('PersistentVolume', '', 'v1', 'persistentvolumes', false, { initialStatus: { phase: 'Pending' } }),
  PersistentVolumeClaim: info('PersistentVolumeClaim', '', 'v1', 'persistentvolumeclaims', true, { initialStatus: { phase: 'Pending' } }),
  StorageClass: info('StorageClass', 'storage.k8s.io', 'v1', 'storageclasses', false, NO_STATUS),
  DaemonSet: info('DaemonSet', 'apps', 'v1', 'daemonsets', true),
  Deployment: info('Deployment', 'apps', 'v1', 'deployments', true),
  ReplicaSet: info('ReplicaSet', 'apps', 'v1', 'replicasets', true),
  StatefulSet: info('StatefulSet', 'apps', 'v1', 'statefulsets', true),
  Job: info('Job', 'batch', 'v1', 'jobs', true),
  Lease: info('Lease', 'coordination.k8s.io', 'v1', 'leases', true, NO_STATUS),
  Event: info('Event', 'events.k8s.io', 'v1', 'events', true, NO_STATUS),
};

export const ALL_KINDS: readonly Kind[] = Object.keys(KINDS) as Kind[];

/** True for a supported kind name (for input from outside the type system: scenarios, CLI). */
export function isKind(name: string): name is Kind {
  return Object.prototype.hasOwnProperty.call(KINDS, name);
}
