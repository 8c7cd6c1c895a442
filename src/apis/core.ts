/**
 * The subset of Kubernetes core (and apps/policy/storage/coordination) types that nodewright reads
 * and writes. Field names and shapes follow the upstream JSON, so manifests parse into them directly.
 * Everything is optional where upstream is optional; code must not assume defaults were applied.
 */

export type Labels = Record<string, string>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Labels;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** Any Kubernetes object: apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export type Quantity = string | number;
export type ResourceQuantities = Record<string, Quantity>;

export interface ResourceRequirements {
  requests?: ResourceQuantities;
  limits?: ResourceQuantities;
}

export interface ContainerPort {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  name?: string;
}

export interface Container {
  name: string;
  image?: string;
  resources?: ResourceRequirements;
  ports?: ContainerPort[];
  /** Only on init containers: "Always" makes it a restartable sidecar. */
  restartPolicy?: 'Always';
}

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  /** Upstream Kubernetes allows In/NotIn/Exists/DoesNotExist/Gt/Lt; Karpenter adds Gte/Lte. */
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: Record<string, unknown>;
  hostPath?: { path: string };
  [other: string]: unknown;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Labels;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  initContainers?: Container[];
  overhead?: ResourceQuantities;
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  schedulerName?: string;
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: Condition[];
  nominatedNodeName?: string;
  startTime?: string;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: PodStatus;
}

export interface NodeSpec {
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeStatus {
  capacity?: ResourceQuantities;
  allocatable?: ResourceQuantities;
  conditions?: Condition[];
}

export interface Node extends KubeObject {
  spec?: NodeSpec;
  status?: NodeStatus;
}

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: ResourceQuantities;
    storageClassName?: string;
    claimRef?: { namespace?: string; name?: string };
    nodeAffinity?: { required?: NodeSelector };
    csi?: { driver: string; volumeHandle?: string };
    [other: string]: unknown;
  };
  status?: { phase?: string };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    resources?: ResourceRequirements;
  };
  status?: { phase?: string };
}

export interface TopologySelectorTerm {
  matchLabelExpressions?: { key: string; values: string[] }[];
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowedTopologies?: TopologySelectorTerm[];
  parameters?: Record<string, string>;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface DaemonSet extends KubeObject {
  spec: { selector?: LabelSelector; template: PodTemplateSpec };
}

export interface Deployment extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplateSpec };
}

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplateSpec };
}

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector?: LabelSelector;
    template: PodTemplateSpec;
    volumeClaimTemplates?: PersistentVolumeClaim[];
  };
}

export interface Job extends KubeObject {
  spec: { parallelism?: number; completions?: number; template: PodTemplateSpec };
}

export interface PodDisruptionBudget extends KubeObject {
  spec: { selector?: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: {
    currentHealthy?: number;
    desiredHealthy?: number;
    disruptionsAllowed?: number;
    expectedPods?: number;
  };
}

export interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface Event extends KubeObject {
  regarding?: { kind?: string; name?: string; namespace?: string; uid?: string; apiVersion?: string };
  reason?: string;
  note?: string;
  type?: 'Normal' | 'Warning';
  action?: string;
  reportingController?: string;
  eventTime?: string;
}

/**
 * What an object says apart from its status and bookkeeping (resourceVersion, managedFields):
 * name, labels, annotations, deletionTimestamp and spec, as one string. Two objects with the same
 * key differ at most in what controllers keep updating, so work derived from the spec carries over.
 */
export function specKey(obj: KubeObject & { readonly spec?: unknown }): string {
  const m = obj.metadata;
  return JSON.stringify([m.namespace, m.name, m.labels, m.annotations, m.deletionTimestamp, obj.spec]);
}

/** Namespaced name "ns/name" of an object, or "name" for cluster-scoped ones. */
export function keyOf(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}
