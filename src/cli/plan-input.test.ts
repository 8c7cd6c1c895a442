import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, parseManifests } from '../apis/manifests.js';
import { validateNodePool } from '../apis/v1/validation.js';
import { kwokCatalog } from '../cloudprovider/catalog/index.js';
import { buildPlanInput, defaultNodePool } from './plan-input.js';

const catalog = kwokCatalog({ cpus: [2, 4] });

const NODEPOOL = (name: string, extra = ''): string => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: ${name}}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.kwok.sh, kind: KWOKNodeClass, name: default}
      requirements: [{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}${extra}]
`;

describe('buildPlanInput', () => {
  it('uses a valid default NodePool when none is given, and says so', () => {
    assert.deepEqual(validateNodePool(defaultNodePool('kwok')), []);
    assert.deepEqual(validateNodePool(defaultNodePool('aws')), []);
    const { manifests } = parseManifests('kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n', 'p.yaml');
    const plan = buildPlanInput(manifests, catalog, 'kwok');
    assert.deepEqual(plan.problems, []);
    assert.equal(plan.input.nodePools.length, 1);
    assert.equal(plan.input.nodePools[0]!.nodePool.metadata.name, 'default');
    // Defaults are applied.
    assert.equal(plan.input.nodePools[0]!.nodePool.spec.template.spec.expireAfter, '720h');
    assert.equal(plan.input.nodePools[0]!.instanceTypes.length, catalog.length);
    assert.match(plan.notes[0]!, /no NodePool given/);
    assert.deepEqual(plan.input.pods.map((p) => p.metadata.name), ['p']);
  });

  it('reports every NodePool problem at its file, document, line and field, and duplicate names', () => {
    const text = `${NODEPOOL('a', ', {key: kubernetes.io/arch, operator: In, values: [amd64], minValues: 0}')}---\n${NODEPOOL('b')}---\n${NODEPOOL('b')}`;
    const { manifests, problems } = parseManifests(text, 'pools.yaml');
    assert.deepEqual(problems, []);
    const plan = buildPlanInput(manifests, catalog, 'kwok');
    const lines = plan.problems.map(formatProblem);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /^pools\.yaml: document 1 \(line 8\): NodePool a: spec\.template\.spec\.requirements\[1\]\.minValues: /);
    assert.equal(lines[1], 'pools.yaml: document 3 (line 21): NodePool b: metadata.name: NodePool "b" is defined twice');
    assert.deepEqual(plan.notes, []);
  });

  it('converts Provisioners (warnings located at them) and reports invalid ones', () => {
    const text = `apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata: {name: old}
spec:
  providerRef: {name: default}
  kubeletConfiguration: {maxPods: 20}
---
apiVersion: karpenter.sh/v1alpha5
kind: Provisioner
metadata: {name: broken}
spec:
  weight: 1000
  providerRef: {name: default}
`;
    const { manifests } = parseManifests(text, 'prov.yaml');
    const plan = buildPlanInput(manifests, catalog, 'kwok');
    assert.deepEqual(plan.input.nodePools.map((p) => p.nodePool.metadata.name), ['old']);
    const errors = plan.problems.filter((p) => p.severity === 'error').map(formatProblem);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^prov\.yaml: document 2 \(line 12\): Provisioner broken: spec\.weight: /);
    const warnings = plan.problems.filter((p) => p.severity === 'warning');
    assert.ok(warnings.length > 0);
    assert.ok(warnings.every((w) => w.file === 'prov.yaml' && w.document === 1 && w.object === 'Provisioner old'));
  });

  it('gathers existing nodes with their pods and counts them as the pool usage; notes pods on unknown nodes', () => {
    const text = `${NODEPOOL('a')}---
kind: Node
metadata: {name: n1, labels: {karpenter.sh/nodepool: a}}
status: {capacity: {cpu: "4", memory: 8Gi}, allocatable: {cpu: 3900m, memory: 7Gi, pods: "20"}}
---
kind: Pod
metadata: {name: on-n1}
spec: {nodeName: n1, containers: [{name: c}]}
---
kind: Pod
metadata: {name: on-gone}
spec: {nodeName: gone, containers: [{name: c}]}
---
kind: DaemonSet
metadata: {name: logs}
spec: {template: {spec: {containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}}
`;
    const { manifests, problems } = parseManifests(text, 'cluster.yaml');
    assert.deepEqual(problems, []);
    const plan = buildPlanInput(manifests, catalog, 'kwok');
    assert.deepEqual(plan.input.pods, []);
    assert.deepEqual(plan.input.nodes?.map((n) => [n.name, n.pods.map((p) => p.metadata.name)]), [['n1', ['on-n1']]]);
    assert.deepEqual(plan.input.nodePools[0]!.usage, { nodes: 1, cpu: 4000, memory: 8 * 2 ** 30 });
    assert.equal(plan.input.daemonSets?.length, 1);
    assert.deepEqual(plan.notes, ['pod default/on-gone is bound to node gone, which is not in the input: ignored']);
  });
});
