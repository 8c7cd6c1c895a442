/**
 * Test builders: small functions that make valid objects with sensible defaults, so a test states
 * only what it is about.
 */
import type { Pod, Node, Taint, Toleration, TopologySpreadConstraint, Affinity, Labels } from '../apis/core.js';
import type { NodePool, NodeSelectorRequirementWithMinValues } from '../apis/v1/types.js';

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
