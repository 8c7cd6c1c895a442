import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Deployment, Job, Node, Pod, StatefulSet } from './core.js';
import { parseManifests } from './manifests.js';
import {
  deterministicUid,
  expandDeployment,
  expandJob,
  expandStatefulSet,
  expandWorkloads,
  nodesWithPods,
  podSuffixes,
  suffixWidth,
} from './workloads.js';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', resources: { requests: { cpu: '250m' } } }] },
};

describe('podSuffixes', () => {
  it('gives distinct five-character safe suffixes, fixed by the seed', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 0, max: 3000 }), (seed, count) => {
      const s = podSuffixes(seed, count);
      assert.equal(s.length, count);
      assert.equal(new Set(s).size, count);
      for (const x of s) assert.match(x, /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(podSuffixes(seed, count), s);
    }), { numRuns: 30 });
  });

  it('grows past five characters only when it must', () => {
    assert.equal(suffixWidth(27 ** 5), 5);
    assert.equal(suffixWidth(27 ** 5 + 1), 6);
    assert.equal(suffixWidth(0), 5);
    const many = podSuffixes('x', 20000);
    assert.equal(new Set(many).size, 20000);
  });
});

describe('deterministicUid', () => {
  it('is uuid-shaped, stable, and differs between keys', () => {
    const a = deterministicUid('Pod/default/a');
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(deterministicUid('Pod/default/a'), a);
    assert.notEqual(deterministicUid('Pod/default/b'), a);
  });
});

describe('expandDeployment', () => {
  const deployment: Deployment = { kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3, template } };

  it('creates a ReplicaSet and its pods with template labels, the hash label and owner references', () => {
    const { replicaSet, pods } = expandDeployment(deployment);
    const hash = replicaSet.metadata.labels?.['pod-template-hash'];
    assert.ok(hash !== undefined && hash.length > 0);
    assert.equal(replicaSet.metadata.name, `web-${hash}`);
    assert.equal(replicaSet.metadata.ownerReferences?.[0]?.kind, 'Deployment');
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.ok(pod.metadata.name?.startsWith(`web-${hash}-`));
      assert.equal(pod.metadata.namespace, 'default');
      assert.deepEqual(pod.metadata.labels, { app: 'web', 'pod-template-hash': hash });
      assert.deepEqual(pod.metadata.ownerReferences, [{
        apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet.metadata.name, uid: replicaSet.metadata.uid, controller: true, blockOwnerDeletion: true,
      }]);
      assert.equal(pod.spec.containers[0]!.resources?.requests?.cpu, '250m');
      assert.equal(pod.status?.phase, 'Pending');
    }
    assert.equal(new Set(pods.map((p) => p.metadata.uid)).size, 3);
    // Every pod has its own spec, so changing one cannot change another or the template.
    pods[0]!.spec.nodeName = 'x';
    assert.equal(pods[1]!.spec.nodeName, undefined);
    assert.equal(template.spec.containers.length, 1);
  });

  it('is deterministic, and a different template gives a different hash', () => {
    assert.deepEqual(expandDeployment(deployment), expandDeployment(deployment));
    const other = expandDeployment({ ...deployment, spec: { ...deployment.spec, template: { ...template, metadata: { labels: { app: 'api' } } } } });
    assert.notEqual(other.replicaSet.metadata.name, expandDeployment(deployment).replicaSet.metadata.name);
  });

  it('defaults replicas to 1 and allows 0', () => {
    assert.equal(expandDeployment({ ...deployment, spec: { template } }).pods.length, 1);
    assert.equal(expandDeployment({ ...deployment, spec: { replicas: 0, template } }).pods.length, 0);
  });
});

describe('expandStatefulSet', () => {
  const sts: StatefulSet = {
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'data' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }] } },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } } },
        { metadata: { name: 'logs' }, spec: {} },
      ],
    },
  };

  it('names pods by ordinal and gives each a claim per template, mounted in place of same-named volumes', () => {
    const { pods, claims } = expandStatefulSet(sts);
    assert.deepEqual(pods.map((p) => p.metadata.name), ['db-0', 'db-1']);
    assert.deepEqual(claims.map((c) => c.metadata.name), ['data-db-0', 'logs-db-0', 'data-db-1', 'logs-db-1']);
    assert.equal(claims[0]!.metadata.namespace, 'data');
    assert.equal(claims[0]!.spec.storageClassName, 'gp3');
    assert.deepEqual(claims[0]!.metadata.labels, { app: 'db' });
    assert.deepEqual(pods[1]!.spec.volumes, [
      { name: 'tmp', emptyDir: {} },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } },
      { name: 'logs', persistentVolumeClaim: { claimName: 'logs-db-1' } },
    ]);
    assert.equal(pods[0]!.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
    assert.equal(pods[1]!.metadata.labels?.['apps.kubernetes.io/pod-index'], '1');
    assert.equal(pods[0]!.metadata.ownerReferences?.[0]?.kind, 'StatefulSet');
  });
});

describe('expandJob', () => {
  const job = (parallelism?: number, completions?: number): Job => ({
    kind: 'Job', metadata: { name: 'batch', uid: 'u-1' },
    spec: { ...(parallelism === undefined ? {} : { parallelism }), ...(completions === undefined ? {} : { completions }), template },
  });

  it('runs min(parallelism, completions) pods, labelled with the job', () => {
    assert.equal(expandJob(job()).length, 1);
    assert.equal(expandJob(job(4)).length, 4);
    assert.equal(expandJob(job(4, 2)).length, 2);
    assert.equal(expandJob(job(undefined, 5)).length, 1);
    const [pod] = expandJob(job(1));
    assert.equal(pod!.metadata.labels?.['job-name'], 'batch');
    assert.equal(pod!.metadata.labels?.['controller-uid'], 'u-1');
    assert.equal(pod!.metadata.ownerReferences?.[0]?.uid, 'u-1');
  });
});

describe('expandWorkloads and nodesWithPods', () => {
  const text = `kind: Node
metadata: {name: n1, labels: {karpenter.sh/nodepool: default}}
spec: {taints: [{key: dedicated, value: db, effect: NoSchedule}]}
status: {allocatable: {cpu: 3920m, memory: 15Gi, pods: "58"}}
---
kind: Pod
metadata: {name: running}
spec: {nodeName: n1, containers: [{name: c}]}
---
kind: Pod
metadata: {name: lost}
spec: {nodeName: gone, containers: [{name: c}]}
---
kind: Pod
metadata: {name: done}
spec: {containers: [{name: c}]}
status: {phase: Succeeded}
---
kind: Pod
metadata: {name: waiting}
spec: {containers: [{name: c}]}
---
kind: PersistentVolumeClaim
metadata: {name: data-db-0}
spec: {volumeName: pv-1}
---
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  template: {spec: {containers: [{name: db}]}}
  volumeClaimTemplates: [{metadata: {name: data}, spec: {}}]
`;

  it('separates pending from bound pods, keeps given claims, drops finished pods', () => {
    const { manifests, problems } = parseManifests(text, 'all.yaml');
    assert.deepEqual(problems, []);
    const w = expandWorkloads(manifests);
    assert.deepEqual(w.pending.map((p) => p.metadata.name), ['waiting', 'db-0', 'db-1']);
    assert.deepEqual(w.bound.map((p) => p.metadata.name), ['running', 'lost']);
    assert.deepEqual(w.claims.map((c) => [c.metadata.name, c.spec.volumeName]), [['data-db-0', 'pv-1'], ['data-db-1', undefined]]);
    assert.equal(w.pending[0]!.metadata.namespace, 'default');
    assert.match(w.pending[0]!.metadata.uid ?? '', /^[0-9a-f-]{36}$/);

    const { nodes, orphans } = nodesWithPods(manifests.nodes.map((m) => m.object), w.bound);
    assert.deepEqual(orphans.map((p) => p.metadata.name), ['lost']);
    assert.equal(nodes.length, 1);
    const n = nodes[0]!;
    assert.deepEqual(n.allocatable, { cpu: 3920, memory: 15 * 2 ** 30, pods: 58 });
    assert.equal(n.labels['kubernetes.io/hostname'], 'n1');
    assert.equal(n.nodePool, 'default');
    assert.deepEqual(n.taints, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    assert.deepEqual(n.pods.map((p) => p.metadata.name), ['running']);
  });

  it('falls back to capacity and marks cordoned nodes unschedulable', () => {
    const node: Node = { metadata: { name: 'n2' }, spec: { unschedulable: true }, status: { capacity: { cpu: '2' } } };
    const pod: Pod = { metadata: { name: 'p' }, spec: { nodeName: 'n2', containers: [] }, status: { phase: 'Failed' } };
    const { nodes } = nodesWithPods([node], [pod]);
    assert.equal(nodes[0]!.unschedulable, true);
    assert.deepEqual(nodes[0]!.allocatable, { cpu: 2000 });
    assert.equal(nodes[0]!.pods.length, 0);
  });
});
