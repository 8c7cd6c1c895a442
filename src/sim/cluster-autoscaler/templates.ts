/**
 * The template node of a node group: what the Cluster Autoscaler believes a new node of the group
 * will look like when it simulates a scale-up. As the Cluster Autoscaler does, it is a sanitised
 * copy of a ready node of the group when there is one, else built from the group's launch
 * configuration (for AWS: the first instance type of a mixed-instances group, in the group's first
 * zone). The DaemonSet pods that would run on it are added, as they would land on a new node.
 */
import type { DaemonSet, Labels, Pod, Taint } from '../../apis/core.js';
import { HOSTNAME_LABEL, INSTANCE_TYPE_LABEL, KNOWN_EPHEMERAL_TAINTS, ZONE_LABEL } from '../../apis/labels.js';
import { allocatableOf, launchLabels } from '../../cloudprovider/launch.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';
import type { NodeGroupSpec } from '../scenario/types.js';
import type { ViewNode } from './view-node.js';
import { launchClaim } from './launch-request.js';
import { DELETION_CANDIDATE_TAINT_KEY, TO_BE_DELETED_TAINT_KEY } from './taints.js';

export interface GroupTemplate {
  readonly group: string;
  /** Where it came from: a ready node of the group, or the group's launch configuration. */
  readonly source: 'node' | 'cloud';
  readonly instanceType: string;
  readonly zone: string;
  /** $/h of the group's offering of this type in this zone (NaN when the catalogue has none). */
  readonly price: number;
  readonly labels: Labels;
  readonly taints: readonly Taint[];
  readonly allocatable: ResourceList;
  readonly capacity: ResourceList;
  /** Pods of DaemonSets that would run on a new node of the group. */
  readonly daemonSetPods: readonly Pod[];
}

/** A node group's template could not be built. */
export class TemplateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TemplateError';
  }
}

const SANITISED_TAINTS = new Set([TO_BE_DELETED_TAINT_KEY, DELETION_CANDIDATE_TAINT_KEY, ...KNOWN_EPHEMERAL_TAINTS.map((t) => t.key)]);

function priceOf(types: readonly InstanceType[], type: string, zone: string, spec: NodeGroupSpec): number {
  const t = types.find((x) => x.name === type);
  return t?.offerings.find((o) => o.zone === zone && o.capacityType === spec.capacityType)?.price ?? Number.NaN;
}

/**
 * The group's template from its launch configuration: first instance type, first zone.
 * @throws TemplateError when the catalogue lacks the type or its offering.
 */
export function cloudTemplate(spec: NodeGroupSpec, types: readonly InstanceType[], daemonSets: readonly DaemonSet[]): GroupTemplate {
  const typeName = spec.instanceTypes[0] ?? '';
  const zone = spec.zones[0] ?? '';
  const type = types.find((t) => t.name === typeName);
  const offering = type?.offerings.find((o) => o.zone === zone && o.capacityType === spec.capacityType);
  if (!type || !offering) throw new TemplateError(`building the template of node group ${spec.name}: the catalogue has no ${spec.capacityType} ${typeName} in ${zone}`);
  const labels = launchLabels(launchClaim({ name: spec.name, instanceTypes: [typeName], zone, capacityType: spec.capacityType, labels: spec.labels }), { instanceType: type, offering });
  const allocatable = allocatableOf(type);
  const taints = spec.taints.map((t) => ({ ...t }));
  return {
    group: spec.name, source: 'cloud', instanceType: typeName, zone, price: offering.price, labels, taints, allocatable,
    capacity: type.capacity, daemonSetPods: daemonSetPodsFor(spec.name, labels, taints, allocatable, daemonSets),
  };
}

/** The group's template copied from one of its ready nodes, without the autoscaler's and transient taints. */
export function nodeTemplate(spec: NodeGroupSpec, node: ViewNode, types: readonly InstanceType[], daemonSets: readonly DaemonSet[]): GroupTemplate {
  const { [HOSTNAME_LABEL]: _hostname, ...labels } = node.node.metadata.labels ?? {};
  const taints = (node.node.spec?.taints ?? []).filter((t) => !SANITISED_TAINTS.has(t.key)).map((t) => ({ ...t }));
  const instanceType = labels[INSTANCE_TYPE_LABEL] ?? spec.instanceTypes[0] ?? '';
  const zone = labels[ZONE_LABEL] ?? spec.zones[0] ?? '';
  const type = types.find((t) => t.name === instanceType);
  return {
    group: spec.name, source: 'node', instanceType, zone, price: priceOf(types, instanceType, zone, spec), labels, taints,
    allocatable: node.allocatable, capacity: type?.capacity ?? node.allocatable,
    daemonSetPods: daemonSetPodsFor(spec.name, labels, taints, node.allocatable, daemonSets),
  };
}

/** `count` copies of the template as solver nodes named `<prefix>-<i>`, each with its DaemonSet pods. */
export function templateNodes(t: GroupTemplate, count: number, prefix: string, inFlight = false): SolverNode[] {
  const nodes: SolverNode[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    nodes.push({ name, labels: { ...t.labels, [HOSTNAME_LABEL]: name }, taints: t.taints, allocatable: t.allocatable, pods: t.daemonSetPods, inFlight });
  }
  return nodes;
}

/** The pods the DaemonSets would run on a node like this (their selectors, affinity, tolerations and room). */
function daemonSetPodsFor(group: string, labels: Labels, taints: readonly Taint[], allocatable: ResourceList, daemonSets: readonly DaemonSet[]): Pod[] {
  if (daemonSets.length === 0) return [];
  const pods = daemonSets.map((ds): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${ds.metadata.name ?? 'daemonset'}-template-${group}`,
      namespace: ds.metadata.namespace ?? 'default',
      labels: { ...(ds.spec.template.metadata?.labels ?? {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name ?? '', uid: ds.metadata.uid ?? '', controller: true }],
    },
    spec: structuredClone(ds.spec.template.spec),
  }));
  const node: SolverNode = { name: `template-${group}`, labels: { ...labels, [HOSTNAME_LABEL]: `template-${group}` }, taints, allocatable, pods: [] };
  const result = solve({ pods, nodePools: [], nodes: [node], options: { ignorePreferences: true, optimizeCost: false } });
  const placed = new Set(result.existingNodes.flatMap((n) => n.pods));
  return pods.filter((p) => placed.has(p));
}
