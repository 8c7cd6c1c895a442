/**
 * Invalid NodePools for the rules that both validateNodePool and the NodePool CRD enforce: the
 * unit tier checks each against validateNodePool and the CRD's schema locally, the integration
 * tier against a real API server, so the three are shown to agree. Test data only.
 */
import type { NodePool } from '../v1/types.js';

/** One invalid NodePool: the edits that break a valid one, and the field every check must name. */
export interface InvalidNodePoolCase {
  readonly name: string;
  /** [path segments, value] pairs applied to {@link validNodePool}; `undefined` deletes. */
  readonly edits: readonly (readonly [readonly (string | number)[], unknown])[];
  /** Path prefix of a problem from validateNodePool and from the schema; appears in the server's message. */
  readonly field: string;
  /** What the server's and the schema's message must also say, when the path alone is too coarse. */
  readonly message?: RegExp;
}

/** A small valid NodePool the cases start from. */
export function validNodePool(name = 'cases'): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: { team: 'a' } },
        spec: {
          nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
          requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }],
        },
      },
    },
  };
}

/** `validNodePool(name)` with the case's edits applied. */
export function buildCase(c: InvalidNodePoolCase, name = 'cases'): Record<string, unknown> {
  const root = validNodePool(name) as unknown as Record<string, unknown>;
  for (const [path, value] of c.edits) {
    let node = root as Record<string | number, unknown>;
    path.slice(0, -1).forEach((segment, i) => {
      node[segment] ??= typeof path[i + 1] === 'number' ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    });
    const last = path[path.length - 1]!;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return root;
}

const T = ['spec', 'template'];
const S = [...T, 'spec'];
const R0 = [...S, 'requirements', 0];
const B0 = ['spec', 'disruption', 'budgets', 0];
const req = (r: Record<string, unknown>): readonly [readonly (string | number)[], unknown] => [R0, r];

export const INVALID_NODEPOOLS: readonly InvalidNodePoolCase[] = [
  { name: 'weight below 1', edits: [[['spec', 'weight'], 0]], field: 'spec.weight' },
  { name: 'weight above 100', edits: [[['spec', 'weight'], 101]], field: 'spec.weight' },
  { name: 'budget nodes above 100%', edits: [[B0, { nodes: '101%' }]], field: 'spec.disruption.budgets[0].nodes' },
  { name: 'budget nodes not a count', edits: [[B0, { nodes: 'ten' }]], field: 'spec.disruption.budgets[0].nodes' },
  { name: 'budget schedule without duration', edits: [[B0, { nodes: '1', schedule: '@daily' }]], field: 'spec.disruption.budgets[0]', message: /schedule/ },
  { name: 'budget duration without schedule', edits: [[B0, { nodes: '1', duration: '1h' }]], field: 'spec.disruption.budgets[0]', message: /schedule/ },
  { name: 'budget duration in seconds', edits: [[B0, { nodes: '1', schedule: '@daily', duration: '30s' }]], field: 'spec.disruption.budgets[0].duration' },
  { name: 'budget schedule with four fields', edits: [[B0, { nodes: '1', schedule: '0 9 * *', duration: '1h' }]], field: 'spec.disruption.budgets[0].schedule' },
  { name: 'unknown budget reason', edits: [[B0, { nodes: '1', reasons: ['Expired'] }]], field: 'spec.disruption.budgets[0].reasons[0]' },
  { name: 'duplicate budget reason', edits: [[B0, { nodes: '1', reasons: ['Empty', 'Empty'] }]], field: 'spec.disruption.budgets[0].reasons[1]' },
  {
    name: '51 budgets',
    edits: [[['spec', 'disruption', 'budgets'], Array.from({ length: 51 }, () => ({ nodes: '1' }))]],
    field: 'spec.disruption.budgets',
  },
  { name: 'v1beta1 consolidation policy', edits: [[['spec', 'disruption', 'consolidationPolicy'], 'WhenUnderutilized']], field: 'spec.disruption.consolidationPolicy' },
  { name: 'consolidateAfter in words', edits: [[['spec', 'disruption', 'consolidateAfter'], '5 minutes']], field: 'spec.disruption.consolidateAfter' },
  { name: 'expireAfter in days', edits: [[[...S, 'expireAfter'], '30d']], field: 'spec.template.spec.expireAfter' },
  { name: 'terminationGracePeriod Never', edits: [[[...S, 'terminationGracePeriod'], 'Never']], field: 'spec.template.spec.terminationGracePeriod' },
  { name: 'unknown operator', edits: [req({ key: 'kubernetes.io/arch', operator: 'Like', values: ['amd64'] })], field: 'spec.template.spec.requirements[0].operator' },
  { name: 'In without values', edits: [req({ key: 'kubernetes.io/arch', operator: 'In' })], field: 'spec.template.spec.requirements[0].values' },
  { name: 'In with an empty list', edits: [req({ key: 'kubernetes.io/arch', operator: 'In', values: [] })], field: 'spec.template.spec.requirements[0].values' },
  {
    name: 'Exists with values',
    edits: [req({ key: 'kubernetes.io/arch', operator: 'Exists', values: ['amd64'] })],
    field: 'spec.template.spec.requirements[0].values',
  },
  { name: 'Gt with two values', edits: [req({ key: 'example.com/gen', operator: 'Gt', values: ['1', '2'] })], field: 'spec.template.spec.requirements[0].values' },
  { name: 'Lt with a word', edits: [req({ key: 'example.com/gen', operator: 'Lt', values: ['abc'] })], field: 'spec.template.spec.requirements[0].values' },
  { name: 'Gte without values', edits: [req({ key: 'example.com/gen', operator: 'Gte' })], field: 'spec.template.spec.requirements[0].values' },
  {
    name: 'minValues above 50',
    edits: [req({ key: 'kubernetes.io/arch', operator: 'Exists', minValues: 51 })],
    field: 'spec.template.spec.requirements[0].minValues',
  },
  {
    name: 'minValues above the In values',
    edits: [req({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'], minValues: 3 })],
    field: 'spec.template.spec.requirements[0].minValues',
  },
  {
    name: '101 requirements',
    edits: [[[...S, 'requirements'], Array.from({ length: 101 }, (_, i) => ({ key: `example.com/k${i}`, operator: 'Exists' }))]],
    field: 'spec.template.spec.requirements',
  },
  { name: 'requirements missing', edits: [[[...S, 'requirements'], undefined]], field: 'spec.template.spec.requirements' },
  { name: 'requirement key in kubernetes.io', edits: [req({ key: 'kubernetes.io/custom', operator: 'Exists' })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement key in k8s.io', edits: [req({ key: 'team.k8s.io/x', operator: 'Exists' })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement key in karpenter.sh', edits: [req({ key: 'karpenter.sh/custom', operator: 'Exists' })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement key karpenter.sh/nodepool', edits: [req({ key: 'karpenter.sh/nodepool', operator: 'In', values: ['x'] })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement key kubernetes.io/hostname', edits: [req({ key: 'kubernetes.io/hostname', operator: 'Exists' })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement key with a space', edits: [req({ key: 'bad key', operator: 'Exists' })], field: 'spec.template.spec.requirements[0].key' },
  { name: 'requirement value with a space', edits: [req({ key: 'example.com/x', operator: 'In', values: ['a b'] })], field: 'spec.template.spec.requirements[0].values[0]' },
  { name: 'label in node-role.kubernetes.io', edits: [[[...T, 'metadata', 'labels'], { 'node-role.kubernetes.io/worker': '' }]], field: 'spec.template.metadata.labels' },
  { name: 'label karpenter.sh/nodepool', edits: [[[...T, 'metadata', 'labels'], { 'karpenter.sh/nodepool': 'x' }]], field: 'spec.template.metadata.labels' },
  { name: 'label kubernetes.io/hostname', edits: [[[...T, 'metadata', 'labels'], { 'kubernetes.io/hostname': 'x' }]], field: 'spec.template.metadata.labels' },
  { name: 'label key with "!"', edits: [[[...T, 'metadata', 'labels'], { 'bad!': 'x' }]], field: 'spec.template.metadata.labels' },
  { name: 'label value of 64 characters', edits: [[[...T, 'metadata', 'labels'], { team: 'a'.repeat(64) }]], field: 'spec.template.metadata.labels' },
  { name: 'taint effect unknown', edits: [[[...S, 'taints'], [{ key: 'example.com/t', effect: 'Sometimes' }]]], field: 'spec.template.spec.taints[0].effect' },
  { name: 'taint without key', edits: [[[...S, 'taints'], [{ effect: 'NoSchedule' }]]], field: 'spec.template.spec.taints[0].key' },
  { name: 'startup taint value with a space', edits: [[[...S, 'startupTaints'], [{ key: 'example.com/t', value: 'a b', effect: 'NoSchedule' }]]], field: 'spec.template.spec.startupTaints[0].value' },
  { name: 'nodeClassRef without name', edits: [[[...S, 'nodeClassRef', 'name'], undefined]], field: 'spec.template.spec.nodeClassRef.name' },
  { name: 'nodeClassRef group with a version', edits: [[[...S, 'nodeClassRef', 'group'], 'karpenter.kwok.sh/v1alpha1']], field: 'spec.template.spec.nodeClassRef.group' },
  { name: 'nodeClassRef empty kind', edits: [[[...S, 'nodeClassRef', 'kind'], '']], field: 'spec.template.spec.nodeClassRef.kind' },
  { name: 'limit that is not a quantity', edits: [[['spec', 'limits'], { cpu: 'lots' }]], field: 'spec.limits' },
  { name: 'fractional limit number', edits: [[['spec', 'limits'], { cpu: 1.5 }]], field: 'spec.limits' },
  { name: 'negative replicas', edits: [[['spec', 'replicas'], -1]], field: 'spec.replicas' },
  { name: 'static pool with a weight', edits: [[['spec', 'replicas'], 2], [['spec', 'weight'], 10]], field: 'spec', message: /weight/ },
  { name: 'static pool with a cpu limit', edits: [[['spec', 'replicas'], 2], [['spec', 'limits'], { cpu: '10' }]], field: 'spec', message: /limits/ },
  { name: 'template missing', edits: [[['spec', 'template'], undefined]], field: 'spec.template' },
  { name: 'name of 64 characters', edits: [[['metadata', 'name'], 'n'.repeat(64)]], field: 'metadata.name' },
];

// Prefixes and names that together reach every branch of the restricted-domain rules: well-known
// keys, deprecated aliases, exception domains, suffix look-alikes ("examplek8s.io"), no prefix.
const KEY_PREFIXES = [
  '', 'kubernetes.io/', 'k8s.io/', 'karpenter.sh/', 'karpenter.k8s.aws/', 'karpenter.kwok.sh/', 'node.kubernetes.io/',
  'node-restriction.kubernetes.io/', 'kops.k8s.io/', 'x.kops.k8s.io/', 'examplek8s.io/', 'topology.kubernetes.io/',
  'example.com/', 'sub.karpenter.sh/', 'beta.kubernetes.io/', 'failure-domain.beta.kubernetes.io/', 'topology.k8s.aws/',
];
const KEY_NAMES = ['zone', 'arch', 'hostname', 'nodepool', 'capacity-type', 'instance-family', 'instance-cpu', 'custom', 'region', 'os', 'instance-type'];

/** Every prefix × name: label keys on both sides of each restricted-domain rule. */
export const LABEL_KEY_SAMPLES: readonly string[] = KEY_PREFIXES.flatMap((p) => KEY_NAMES.map((n) => p + n));
