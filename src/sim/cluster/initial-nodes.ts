/**
 * The Node objects of a scenario's initial nodes: registered and Ready at t = 0, with the labels a
 * machine of their instance type, zone and capacity type carries, and, depending on who manages
 * them in this run, the labels and taints of their NodePool (nodewright) or of their node group
 * (the Cluster Autoscaler), or neither (unmanaged).
 */
import type { Node, Taint } from '../../apis/core.js';
import {
  ARCH_LABEL, CAPACITY_TYPE_LABEL, HOSTNAME_LABEL, INITIALIZED_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_LABEL, OS_LABEL,
  REGISTERED_LABEL, ZONE_LABEL,
} from '../../apis/labels.js';
import { allocatableOf } from '../../cloudprovider/launch.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { formatKubeTime } from '../../utils/clock.js';
import { resourcesToQuantities } from '../../utils/resources.js';
import type { InitialNode, Scenario } from '../scenario/types.js';
import { NODE_GROUP_LABEL } from './annotations.js';

/** Who manages initial nodes in a run: their labels and taints follow. */
export type InitialNodeOwnership = 'nodepool' | 'node-group' | 'none';

/** Thrown when an initial node names something the scenario does not have. */
export class InitialNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitialNodeError';
  }
}

export interface InitialNodeOptions {
  readonly ownership: InitialNodeOwnership;
  /** The node's spec.providerID (default `sim://<zone>/<name>`). */
  readonly providerID?: (spec: InitialNode) => string;
}

/** Labels a machine of the type carries: every single-valued type label, arch and os always. */
function typeLabels(type: InstanceType): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(type.requirements).sort()) {
    const values = type.requirements[key] ?? [];
    if (values.length === 1) out[key] = values[0]!;
    else if (values.length > 1 && (key === ARCH_LABEL || key === OS_LABEL)) out[key] = [...values].sort()[0]!;
  }
  return out;
}

/**
 * The Node for one initial node at time `now` (epoch ms).
 * @throws InitialNodeError when its instance type, NodePool or node group is not in the scenario
 *   (a parsed Scenario guarantees they are).
 */
export function initialNodeObject(scenario: Pick<Scenario, 'cluster' | 'clusterAutoscaler'>, spec: InitialNode, options: InitialNodeOptions, now: number): Node {
  const type = scenario.cluster.instanceTypes.find((t) => t.name === spec.instanceType);
  if (!type) throw new InitialNodeError(`creating initial node ${spec.name}: unknown instance type ${spec.instanceType}`);
  const labels: Record<string, string> = { ...typeLabels(type) };
  const taints: Taint[] = [];
  if (options.ownership === 'nodepool' && spec.nodePool !== undefined) {
    const pool = scenario.cluster.nodePools.find((p) => p.metadata.name === spec.nodePool);
    if (!pool) throw new InitialNodeError(`creating initial node ${spec.name}: unknown NodePool ${spec.nodePool}`);
    const template = pool.spec.template;
    Object.assign(labels, template.metadata?.labels ?? {});
    for (const r of template.spec.requirements) {
      if (r.operator === 'In' && r.values?.length === 1 && labels[r.key] === undefined) labels[r.key] = r.values[0]!;
    }
    labels[NODEPOOL_LABEL] = spec.nodePool;
    labels[REGISTERED_LABEL] = 'true';
    labels[INITIALIZED_LABEL] = 'true';
    taints.push(...(template.spec.taints ?? []).map((t) => ({ ...t })));
  } else if (options.ownership === 'node-group' && spec.nodeGroup !== undefined) {
    const group = scenario.clusterAutoscaler.nodeGroups.find((g) => g.name === spec.nodeGroup);
    if (!group) throw new InitialNodeError(`creating initial node ${spec.name}: unknown node group ${spec.nodeGroup}`);
    Object.assign(labels, group.labels);
    labels[NODE_GROUP_LABEL] = group.name;
    taints.push(...group.taints.map((t) => ({ ...t })));
  }
  Object.assign(labels, spec.labels);
  labels[INSTANCE_TYPE_LABEL] = type.name;
  labels[ZONE_LABEL] = spec.zone;
  labels[CAPACITY_TYPE_LABEL] = spec.capacityType;
  labels[HOSTNAME_LABEL] = spec.name;
  for (const t of spec.taints) if (!taints.some((x) => x.key === t.key && x.effect === t.effect)) taints.push({ ...t });
  const time = formatKubeTime(now);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: spec.name, labels },
    spec: { providerID: options.providerID?.(spec) ?? `sim://${spec.zone}/${spec.name}`, ...(taints.length > 0 ? { taints } : {}) },
    status: {
      capacity: resourcesToQuantities(type.capacity),
      allocatable: resourcesToQuantities(allocatableOf(type)),
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: time }],
    },
  };
}
