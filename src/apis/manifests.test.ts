import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyManifestSet, formatProblem, parseManifests, problemAt, splitPath } from './manifests.js';

const PODS = `# two documents and an empty one
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: team
spec:
  containers:
    - name: app
      resources:
        requests: {cpu: 500m, memory: 1Gi}
---
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web}]
`;

describe('parseManifests', () => {
  it('reads documents into typed objects grouped by kind, skipping empty documents', () => {
    const { manifests, problems } = parseManifests(PODS, 'pods.yaml');
    assert.deepEqual(problems, []);
    assert.equal(manifests.pods.length, 1);
    assert.equal(manifests.pods[0]!.object.metadata.name, 'a');
    assert.equal(manifests.pods[0]!.object.spec.containers[0]!.resources?.requests?.cpu, '500m');
    assert.deepEqual({ ...manifests.pods[0]!.source, lineOf: undefined }, { file: 'pods.yaml', document: 1, line: 2, prefix: '', lineOf: undefined });
    assert.equal(manifests.deployments.length, 1);
    assert.equal(manifests.deployments[0]!.source.document, 3);
    assert.equal(manifests.deployments[0]!.source.line, 14);
    assert.equal(manifests.deployments[0]!.source.lineOf('spec.replicas'), 19);
    // A missing field points at its nearest existing ancestor.
    assert.equal(manifests.deployments[0]!.source.lineOf('spec.template.spec.nodeSelector'), 23);
  });

  it('reports a bad field with the file, document, line, object and path', () => {
    const bad = PODS.replace('replicas: 3', 'replicas: -1');
    const { manifests, problems } = parseManifests(bad, 'pods.yaml');
    assert.equal(manifests.deployments.length, 0);
    assert.equal(problems.length, 1);
    assert.equal(formatProblem(problems[0]!), 'pods.yaml: document 3 (line 19): Deployment web: spec.replicas: must be a non-negative integer, got -1');
  });

  it('reports every problem of an object, including bad quantities and unquoted label values', () => {
    const text = `kind: Pod
metadata:
  name: p
  labels: {version: 1}
spec:
  containers:
    - name: a
      resources: {requests: {cpu: lots}}
    - resources: {}
  tolerations: [{operator: Maybe}]
`;
    const { problems } = parseManifests(text, 'p.yaml');
    const lines = problems.map(formatProblem);
    assert.deepEqual(lines, [
      'p.yaml: document 1 (line 4): Pod p: metadata.labels.version: must be a string, got 1 (quote it to make it a string)',
      'p.yaml: document 1 (line 8): Pod p: spec.containers[0].resources.requests.cpu: is not a valid quantity: "lots"',
      'p.yaml: document 1 (line 9): Pod p: spec.containers[1].name: is required',
      'p.yaml: document 1 (line 10): Pod p: spec.tolerations[0].operator: must be one of Exists, Equal, got "Maybe"',
    ]);
  });

  it('reads the items of a kind: List and locates their fields', () => {
    const text = `apiVersion: v1
kind: List
items:
  - kind: Node
    metadata: {name: n1}
    status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
  - kind: Job
    metadata: {name: j}
    spec:
      parallelism: 1.5
      template: {spec: {containers: [{name: c}]}}
`;
    const { manifests, problems } = parseManifests(text, 'list.yaml');
    assert.equal(manifests.nodes.length, 1);
    assert.equal(manifests.nodes[0]!.source.prefix, 'items[0]');
    assert.equal(manifests.nodes[0]!.source.line, 4);
    assert.deepEqual(problems.map(formatProblem), ['list.yaml: document 1 (line 10): Job j: spec.parallelism: must be a non-negative integer, got 1.5']);
  });

  it('warns about unknown kinds and rejects objects without a kind, and YAML syntax errors', () => {
    const text = `kind: Service
metadata: {name: s}
---
metadata: {name: x}
---
a: [1, 2
`;
    const { problems } = parseManifests(text, 'x.yaml');
    assert.equal(problems.length, 3);
    assert.equal(formatProblem(problems[0]!), 'warning: x.yaml: document 1 (line 1): Service s: kind Service is not read by nodewright; ignored');
    assert.equal(formatProblem(problems[1]!), 'x.yaml: document 2 (line 4): kind: is required');
    assert.equal(problems[2]!.severity, 'error');
    assert.equal(problems[2]!.document, 3);
    assert.match(problems[2]!.message, /^invalid YAML/);
  });

  it('rejects a Node without allocatable or capacity and a duplicate key', () => {
    const { problems } = parseManifests('kind: Node\nmetadata: {name: n}\n---\nkind: Pod\nkind: Pod\n', 'n.yaml');
    assert.equal(formatProblem(problems[0]!), 'n.yaml: document 1 (line 1): Node n: status.allocatable: is required: a node without allocatable resources cannot take pods');
    assert.match(problems[1]!.message, /invalid YAML.*unique/i);
  });

  it('reports an alias without its anchor as invalid YAML at its document instead of throwing', () => {
    const text = 'kind: Service\nmetadata: {name: s}\n---\nkind: NodePool\nmetadata:\n  name: *missing\n';
    const { problems } = parseManifests(text, 'a.yaml');
    assert.equal(problems.length, 2, 'the first document is still read (and warned about)');
    problems.shift();
    assert.equal(problems[0]!.document, 2);
    assert.equal(problems[0]!.line, 4);
    assert.match(problems[0]!.message, /^invalid YAML: .*alias/i);
  });

  it('adds to an existing set across files and locates problems found later (problemAt)', () => {
    const set = emptyManifestSet();
    parseManifests('kind: NodePool\nmetadata: {name: default}\nspec:\n  template:\n    spec:\n      requirements:\n        - {key: a, operator: In}\n', 'np.yaml', set);
    parseManifests('kind: StorageClass\nmetadata: {name: gp3}\nprovisioner: ebs.csi.aws.com\n', 'sc.yaml', set);
    assert.equal(set.nodePools.length, 1);
    assert.equal(set.storageClasses.length, 1);
    const p = problemAt(set.nodePools[0]!, 'spec.template.spec.requirements[0].operator', 'needs values');
    assert.equal(formatProblem(p), 'np.yaml: document 1 (line 7): NodePool default: spec.template.spec.requirements[0].operator: needs values');
  });
});

describe('splitPath', () => {
  it('splits dotted paths with indices and quoted keys', () => {
    assert.deepEqual(splitPath('spec.template.spec.requirements[2].minValues'), ['spec', 'template', 'spec', 'requirements', 2, 'minValues']);
    assert.deepEqual(splitPath('metadata.labels["karpenter.sh/nodepool"]'), ['metadata', 'labels', 'karpenter.sh/nodepool']);
    assert.deepEqual(splitPath(''), []);
    assert.equal(splitPath('a..b'), undefined);
    assert.equal(splitPath('a[x]'), undefined);
  });
});
