/**
 * Test builders: small functions that make valid objects with sensible defaults, so a test states
 * only what it is about.
 */
import type {
  Pod, Node, Taint, Toleration, TopologySpreadConstraint, Affinity, Labels, DaemonSet, PersistentVolume,
  PersistentVolumeClaim, StorageClass,
} from '../apis/core.js';
import type { NodePool, NodeSelectorRequirementWithMinValues } from '../apis/v1/types.js';
import type { InstanceType, Offering } from '../cloudprovider/types.js';
import type { PlannedNodeClaim, SolverNode, SolverResult } from '../scheduling/types.js';
import { resourcesFromQuantities } from '../utils/resources.js';

let seq = 0;

export interface PodOptions {
  name?: string;
  namespace?: string;
  labels?: Labels;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  nodeSelector?: Labels;
  tolerations?: Toleration[];
  spread?: TopologySpreadConstraint[];
  affinity?: Affinity;
  nodeName?: string;
  hostPort?: number;
  pvc?: string;
  annotations?: Record<string, string>;
  ownerKind?: string;
  priority?: number;
}

export function pod(o: PodOptions = {}): Pod {
  const name = o.name ?? `pod-${++seq}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: o.labels,
      annotations: o.annotations,
      ownerReferences: o.ownerKind ? [{ apiVersion: 'apps/v1', kind: o.ownerKind, name: 'owner', uid: 'owner-uid', controller: true }] : undefined,
    },
    spec: {
      nodeName: o.nodeName,
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      topologySpreadConstraints: o.spread,
      affinity: o.affinity,
      priority: o.priority,
      containers: [{
        name: 'main',
        resources: { requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}), ...(o.requests ?? {}) } },
        ports: o.hostPort ? [{ containerPort: o.hostPort, hostPort: o.hostPort }] : undefined,
      }],
      volumes: o.pvc ? [{ name: 'data', persistentVolumeClaim: { claimName: o.pvc } }] : undefined,
    },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  };
}

export interface NodePoolOptions {
  name?: string;
  requirements?: NodeSelectorRequirementWithMinValues[];
  labels?: Labels;
  taints?: Taint[];
  startupTaints?: Taint[];
  limits?: Record<string, string>;
  weight?: number;
}

export function nodePool(o: NodePoolOptions = {}): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: o.name ?? 'default', uid: `uid-np-${o.name ?? 'default'}` },
    spec: {
      template: {
        metadata: o.labels ? { labels: o.labels } : undefined,
        spec: {
          requirements: o.requirements ?? [],
          taints: o.taints,
          startupTaints: o.startupTaints,
          nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
          expireAfter: '720h',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s', budgets: [{ nodes: '10%' }] },
      limits: o.limits,
      weight: o.weight,
    },
  };
}

export function node(name: string, o: { labels?: Labels; taints?: Taint[]; cpu?: string; memory?: string; pods?: string } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110' },
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

// Solver builders: instance types, nodes as the solver sees them, daemonsets and volumes.

export interface InstanceTypeOptions {
  /** Capacity as quantities (cpu "4", memory "8Gi"); pods defaults to 110. */
  cpu?: string;
  memory?: string;
  pods?: string;
  /** Extra capacity (an extended resource such as "nvidia.com/gpu": "1"). */
  capacity?: Record<string, string>;
  /** Reserved by the system: allocatable = capacity − overhead. Default none. */
  overhead?: Record<string, string>;
  /** Zones with an on-demand offering at `price`; default a, b, c. */
  zones?: string[];
  /** On-demand price per hour; default 0.1. */
  price?: number;
  /** Price of a spot offering in every zone, when set. */
  spotPrice?: number;
  /** Zones whose offerings are unavailable. */
  unavailableZones?: string[];
  /** Label key → values, beside the instance-type label. */
  labels?: Record<string, string[]>;
}

/** The default zones of {@link instanceType}. */
export const TEST_ZONES = ['zone-a', 'zone-b', 'zone-c'];

/**
 * An instance type with simple round numbers, for solver tests that must predict the choice.
 * @throws QuantityError for a bad quantity in the options.
 */
export function instanceType(name: string, o: InstanceTypeOptions = {}): InstanceType {
  const zones = o.zones ?? TEST_ZONES;
  const unavailable = new Set(o.unavailableZones ?? []);
  const offerings: Offering[] = [];
  for (const zone of zones) {
    offerings.push({ zone, capacityType: 'on-demand', price: o.price ?? 0.1, available: !unavailable.has(zone) });
    if (o.spotPrice !== undefined) offerings.push({ zone, capacityType: 'spot', price: o.spotPrice, available: !unavailable.has(zone) });
  }
  return {
    name,
    requirements: { 'node.kubernetes.io/instance-type': [name], 'kubernetes.io/arch': ['amd64'], 'kubernetes.io/os': ['linux'], ...(o.labels ?? {}) },
    capacity: resourcesFromQuantities({ cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: o.pods ?? '110', ...(o.capacity ?? {}) }),
    overhead: resourcesFromQuantities(o.overhead ?? {}),
    offerings,
  };
}

export interface SolverNodeOptions {
  zone?: string;
  labels?: Labels;
  taints?: Taint[];
  cpu?: string;
  memory?: string;
  pods?: string;
  /** Pods already bound to the node. */
  bound?: Pod[];
  inFlight?: boolean;
  unschedulable?: boolean;
  nodePool?: string;
}

/**
 * A node as the solver sees it: hostname label, optional zone, allocatable from quantities (default
 * 4 cpu, 16Gi, 110 pods), and its bound pods (given nodeName `name`).
 */
export function solverNode(name: string, o: SolverNodeOptions = {}): SolverNode {
  return {
    name,
    labels: { 'kubernetes.io/hostname': name, ...(o.zone ? { 'topology.kubernetes.io/zone': o.zone } : {}), ...(o.labels ?? {}) },
    taints: o.taints ?? [],
    allocatable: resourcesFromQuantities({ cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110' }),
    pods: (o.bound ?? []).map((p) => ({ ...p, spec: { ...p.spec, nodeName: name } })),
    inFlight: o.inFlight,
    unschedulable: o.unschedulable,
    nodePool: o.nodePool,
  };
}

export interface DaemonSetOptions {
  name?: string;
  cpu?: string;
  memory?: string;
  tolerations?: Toleration[];
  nodeSelector?: Labels;
  affinity?: Affinity;
}

export function daemonSet(o: DaemonSetOptions = {}): DaemonSet {
  const name = o.name ?? `ds-${++seq}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          tolerations: o.tolerations,
          nodeSelector: o.nodeSelector,
          affinity: o.affinity,
          containers: [{ name: 'main', resources: { requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) } } }],
        },
      },
    },
  };
}

/** A PersistentVolume whose node affinity pins it to `zone` under `zoneKey` (default topology.kubernetes.io/zone). */
export function persistentVolume(name: string, o: { zone?: string; zoneKey?: string; storageClassName?: string } = {}): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      storageClassName: o.storageClassName,
      nodeAffinity: o.zone ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: o.zoneKey ?? 'topology.kubernetes.io/zone', operator: 'In', values: [o.zone] }] }] } } : undefined,
    },
  };
}

export function persistentVolumeClaim(name: string, o: { namespace?: string; volumeName?: string; storageClassName?: string } = {}): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: o.namespace ?? 'default' },
    spec: { volumeName: o.volumeName, storageClassName: o.storageClassName, accessModes: ['ReadWriteOnce'] },
  };
}

/** A StorageClass; `zones` become its allowedTopologies on topology.kubernetes.io/zone. */
export function storageClass(name: string, o: { mode?: 'Immediate' | 'WaitForFirstConsumer'; zones?: string[] } = {}): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'ebs.csi.aws.com',
    volumeBindingMode: o.mode ?? 'WaitForFirstConsumer',
    allowedTopologies: o.zones ? [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: o.zones }] }] : undefined,
  };
}

/** Where each pod of a solver result went: pod name → claim hostname, existing node name, or "unschedulable". */
export function placements(result: SolverResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of result.newNodeClaims) for (const p of c.pods) out.set(p.metadata.name ?? '', c.hostname);
  for (const n of result.existingNodes) for (const p of n.pods) out.set(p.metadata.name ?? '', n.node);
  for (const u of result.unschedulable) out.set(u.pod.metadata.name ?? '', 'unschedulable');
  return out;
}

/** The values a planned claim's requirements allow for `key`, or undefined when it has no In requirement on it. */
export function claimValues(claim: PlannedNodeClaim, key: string): string[] | undefined {
  const r = claim.requirements.find((x) => x.key === key && x.operator === 'In');
  return r?.values ? [...r.values].sort() : undefined;
}

/** The zones a planned claim can launch in: those of every offering of every option, sorted. */
export function offeringZones(claim: PlannedNodeClaim): string[] {
  const zones = new Set<string>();
  for (const o of claim.instanceTypeOptions) for (const off of o.offerings) zones.add(off.zone);
  return [...zones].sort();
}
