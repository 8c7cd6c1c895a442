/**
 * Turns the objects read from manifests into the solver's input: validated and defaulted
 * NodePools (converted Provisioners among them, or a default pool), pending pods from the
 * workloads, existing nodes with their pods, daemonsets and volumes.
 */
import type { Manifest, ManifestProblem, ManifestSet } from '../apis/manifests.js';
import { problemAt } from '../apis/manifests.js';
import { expandWorkloads, nodesWithPods } from '../apis/workloads.js';
import type { NodeWithPods } from '../apis/workloads.js';
import { withDefaults } from '../apis/v1/defaults.js';
import { validateNodePool } from '../apis/v1/validation.js';
import type { NodePool } from '../apis/v1/types.js';
import { CAPACITY_TYPE_LABEL, OS_LABEL } from '../apis/labels.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { SolverInput, SolverNodePool } from '../scheduling/types.js';
import { resourceAmount } from '../utils/quantity.js';
import { convertProvisioners } from './plan-provisioners.js';

export interface PlanInput {
  readonly input: SolverInput;
  /** Errors make the input unusable (exit 2); warnings are printed and the plan goes on. */
  readonly problems: readonly ManifestProblem[];
  /** What the plan assumed, for stderr ("no NodePool given: using …"). */
  readonly notes: readonly string[];
}

/** The node class each catalogue's default NodePool refers to. */
const NODE_CLASS_OF_CATALOG: Readonly<Record<string, NodePool['spec']['template']['spec']['nodeClassRef']>> = {
  aws: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
  kwok: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
  'karpenter-bench': { group: 'karpenter.test.sh', kind: 'TestNodeClass', name: 'default' },
};

/**
 * The NodePool used when the input has none: "default", on-demand Linux machines of any type in the
 * catalogue, as Karpenter's getting-started NodePool.
 */
export function defaultNodePool(catalog: string): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'default' },
    spec: {
      template: {
        spec: {
          nodeClassRef: NODE_CLASS_OF_CATALOG[catalog] ?? { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          requirements: [
            { key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] },
            { key: OS_LABEL, operator: 'In', values: ['linux'] },
          ],
        },
      },
    },
  };
}

/**
 * Builds the solver input. Every NodePool problem is reported at its file, document and field; a
 * NodePool name used twice is an error. Never throws for bad input.
 */
export function buildPlanInput(set: ManifestSet, instanceTypes: readonly InstanceType[], catalog: string): PlanInput {
  const problems: ManifestProblem[] = [];
  const notes: string[] = [];

  const pools: { manifest: Manifest<NodePool> | undefined; nodePool: NodePool }[] = [];
  for (const manifest of set.nodePools) {
    const found = validateNodePool(manifest.object);
    for (const p of found) problems.push(problemAt(manifest, p.path, p.message));
    if (found.length === 0) pools.push({ manifest, nodePool: manifest.object });
  }
  const converted = convertProvisioners(set.provisioners);
  problems.push(...converted.problems);
  pools.push(...converted.nodePools);

  const seen = new Map<string, Manifest<NodePool> | undefined>();
  for (const { manifest, nodePool } of pools) {
    const name = nodePool.metadata.name ?? '';
    if (seen.has(name) && manifest !== undefined) {
      problems.push(problemAt(manifest, 'metadata.name', `NodePool "${name}" is defined twice`));
    }
    seen.set(name, manifest);
  }
  if (set.nodePools.length === 0 && set.provisioners.length === 0) {
    pools.push({ manifest: undefined, nodePool: defaultNodePool(catalog) });
    notes.push('no NodePool given: using NodePool "default" (on-demand, linux, any instance type of the catalogue)');
  }

  const workloads = expandWorkloads(set);
  const { nodes, orphans } = nodesWithPods(set.nodes.map((m) => m.object), workloads.bound);
  for (const pod of orphans) {
    notes.push(`pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''} is bound to node ${pod.spec.nodeName ?? ''}, which is not in the input: ignored`);
  }

  const nodePools: SolverNodePool[] = pools.map(({ nodePool }) => ({
    nodePool: withDefaults(nodePool),
    instanceTypes,
    usage: usageOf(nodePool.metadata.name ?? '', set, nodes),
  }));
  return {
    input: {
      pods: workloads.pending,
      nodePools,
      nodes,
      daemonSets: set.daemonSets.map((m) => m.object),
      volumes: {
        persistentVolumes: set.persistentVolumes.map((m) => m.object),
        persistentVolumeClaims: workloads.claims,
        storageClasses: set.storageClasses.map((m) => m.object),
      },
    },
    problems,
    notes,
  };
}

/** What the given nodes of a pool already hold, counted against its limits: capacity and a node count. */
function usageOf(pool: string, set: ManifestSet, nodes: readonly NodeWithPods[]): Record<string, number> {
  const usage: Record<string, number> = { nodes: 0 };
  nodes.forEach((node, i) => {
    if (node.nodePool !== pool) return;
    usage.nodes = (usage.nodes ?? 0) + 1;
    const status = set.nodes[i]?.object.status;
    const quantities = status?.capacity ?? status?.allocatable ?? {};
    for (const [resource, q] of Object.entries(quantities)) usage[resource] = (usage[resource] ?? 0) + resourceAmount(resource, q);
  });
  return usage;
}
