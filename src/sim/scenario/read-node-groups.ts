/**
 * `clusterAutoscaler.nodeGroups`: the Auto Scaling Groups the Cluster Autoscaler model scales, read
 * from the file or, when the file declares none, derived from the NodePools (derive-node-groups.ts);
 * and the initial nodes' membership in them.
 */
import { CAPACITY_TYPES } from '../../cloudprovider/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { deriveNodeGroups, derivedGroupName } from './derive-node-groups.js';
import type { InitialNodeDraft, ReadCluster } from './read-cluster.js';
import { readTaint } from './read-k8s.js';
import type { Reader } from './reader.js';
import type { ClusterAutoscalerSpec, InitialNode, NodeGroupSpec, WorkloadSpec } from './types.js';

const GROUP_FIELDS = ['name', 'instanceTypes', 'min', 'max', 'zones', 'capacityType', 'labels', 'taints'] as const;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads `clusterAutoscaler` (absent: node groups derived from the NodePools) and assigns each
 * initial node its group. Undefined when anything is wrong.
 */
export function readClusterAutoscaler(
  r: Reader, value: unknown, path: string, cluster: ReadCluster, workload: WorkloadSpec,
): { spec: ClusterAutoscalerSpec; initialNodes: InitialNode[] } | undefined {
  const before = r.problems.length;
  const f = r.fields(value, path, ['nodeGroups']);
  const declared = f !== undefined && f.has('nodeGroups');
  const groups = declared
    ? r.items(f.get('nodeGroups'), f.at('nodeGroups'), (v, p) => readGroup(r, v, p, cluster))
    : deriveNodeGroups(cluster, workload);
  if (declared && Array.isArray(f.get('nodeGroups')) && (f.get('nodeGroups') as unknown[]).length === 0) {
    r.fail(f.at('nodeGroups'), 'must declare at least one node group (or leave nodeGroups out to derive them from the NodePools)');
  }
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    if (seen.has(g.name)) r.fail(`${path}.nodeGroups[${i}].name`, `duplicates node group "${g.name}"`);
    seen.add(g.name);
  });
  const initialNodes = cluster.initialNodes.map((n) => assignGroup(r, n, groups, declared));
  if (r.problems.length > before) return undefined;
  return { spec: { derived: !declared, nodeGroups: groups }, initialNodes };
}

function readGroup(r: Reader, value: unknown, path: string, cluster: ReadCluster): NodeGroupSpec | undefined {
  const f = r.fields(value, path, GROUP_FIELDS, true);
  if (f === undefined) return undefined;
  const name = r.str(f.get('name'), f.at('name'), true);
  const typeNames = r.strings(f.get('instanceTypes'), f.at('instanceTypes'), true) ?? (f.has('instanceTypes') ? undefined : void r.fail(f.at('instanceTypes'), 'is required: the first is the template'));
  const minSize = f.has('min') ? r.int(f.get('min'), f.at('min'), 0) : 0;
  const maxSize = r.int(f.get('max'), f.at('max'), 1, true);
  const capacityType = r.choice(f.get('capacityType'), f.at('capacityType'), CAPACITY_TYPES) ?? 'on-demand';
  const zoneNames = r.strings(f.get('zones'), f.at('zones'), true);
  const labels = r.labels(f.get('labels'), f.at('labels')) ?? {};
  const taints = r.items(f.get('taints'), f.at('taints'), (t, tp) => readTaint(r, t, tp));
  if (name !== undefined && (!NAME.test(name) || name.length > 63)) r.fail(f.at('name'), `"${name}" must be at most 63 lowercase letters, digits and "-"`);
  if (minSize !== undefined && maxSize !== undefined && minSize > maxSize) r.fail(f.at('min'), `must be at most max (${maxSize}), got ${minSize}`);
  const types: InstanceType[] = [];
  typeNames?.forEach((t, i) => {
    const type = cluster.instanceTypes.find((x) => x.name === t);
    if (type === undefined) r.fail(f.at('instanceTypes', i), `unknown instance type "${t}": the catalogue has no such type`);
    else types.push(type);
  });
  const template = types[0];
  if (name === undefined || typeNames === undefined || template === undefined || types.length !== typeNames.length || minSize === undefined || maxSize === undefined) return undefined;
  const offered = template.offerings.filter((o) => o.capacityType === capacityType).map((o) => o.zone);
  let zones = offered;
  if (f.has('zones')) {
    if (zoneNames === undefined) return undefined;
    let ok = true;
    zoneNames.forEach((z, i) => {
      if (!cluster.zones.includes(z)) ok = r.fail(f.at('zones', i), `zone "${z}" is not one of cluster.zones (${cluster.zones.join(', ')})`);
      else if (!offered.includes(z)) ok = r.fail(f.at('zones', i), `${template.name} has no ${capacityType} offering in ${z}`);
    });
    if (!ok) return undefined;
    zones = zoneNames;
  }
  if (zones.length === 0) return void r.fail(f.at('capacityType'), `${template.name} has no ${capacityType} offering in any zone`);
  return { name, instanceTypes: typeNames, minSize, maxSize, zones, capacityType, labels, taints };
}

/**
 * An initial node's group: the one it names; else, with derived groups, the group derived from its
 * NodePool for its capacity type (which then also lists its type and zone, as a mixed-instances
 * ASG would); else none (unmanaged under the Cluster Autoscaler).
 */
function assignGroup(r: Reader, draft: InitialNodeDraft, groups: NodeGroupSpec[], declared: boolean): InitialNode {
  const { path: at, nodeGroup: named, ...node } = draft;
  let group: NodeGroupSpec | undefined;
  if (named !== undefined) {
    group = groups.find((g) => g.name === named);
    if (group === undefined) r.fail(`${at}.nodeGroup`, `unknown node group "${named}" (node groups: ${groups.map((g) => g.name).join(', ') || 'none'})`);
    else if (group.capacityType !== node.capacityType || !group.zones.includes(node.zone)) {
      r.fail(`${at}.nodeGroup`, `node group "${named}" launches ${group.capacityType} in ${group.zones.join(', ')}; this node is ${node.capacityType} in ${node.zone}`);
    }
  } else if (!declared && node.nodePool !== undefined) {
    const index = groups.findIndex((g) => g.name === derivedGroupName(node.nodePool ?? '', node.capacityType));
    const found = groups[index];
    if (found !== undefined) {
      group = {
        ...found,
        instanceTypes: found.instanceTypes.includes(node.instanceType) ? found.instanceTypes : [...found.instanceTypes, node.instanceType],
        zones: found.zones.includes(node.zone) ? found.zones : [...found.zones, node.zone],
      };
      groups[index] = group;
    }
  }
  return { ...node, ...(group !== undefined && { nodeGroup: group.name }) };
}
