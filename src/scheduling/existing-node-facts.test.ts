import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import { pod, solverNode } from '../test/builders.js';
import { existingNodeFacts } from './existing-node-facts.js';
import { NodeBase, registerNodeResources } from './node-base.js';
import { requiredAntiAffinityTerms } from './pod-constraints.js';
import { podListTopology } from './pod-list-topology.js';
import { Requirements } from './requirements.js';
import { ResourceSpace, sub } from './resource-space.js';
import { Topology } from './topology.js';
import { safePodRequests } from './object-facts.js';

const ZONE = 'topology.kubernetes.io/zone';
const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }] } };
const bound: Pod[] = [
  pod({ name: 'w1', cpu: '500m', labels: { app: 'web' } }),
  pod({ name: 'w2', cpu: '250m', labels: { app: 'web' } }),
  pod({ name: 'd1', cpu: '1', labels: { app: 'db' }, affinity: anti }),
  pod({ name: 'o1', cpu: '100m', namespace: 'other', labels: { app: 'web' } }),
  pod({ name: 'n1', cpu: '100m' }),
];

describe('podListTopology', () => {
  it('counts what a group counts pod by pod, and lists the pods\' required anti-affinity terms in pod order', () => {
    const facts = podListTopology(bound);
    assert.equal(podListTopology(bound), facts);
    assert.equal(facts.classes.reduce((s, c) => s + c.count, 0), bound.length);
    assert.deepEqual(facts.antiTerms.map((t) => t.identity), bound.flatMap((p) => requiredAntiAffinityTerms(p).map((t) => t.identity)));
    for (const app of ['web', 'db', 'none']) {
      const owner = pod({ name: 'owner', labels: { app }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app } } }] } } });
      const g = new Topology().group(requiredAntiAffinityTerms(owner)[0]!);
      const want = bound.filter((p) => g.selects(p.metadata.namespace ?? 'default', p.metadata.labels ?? {})).length;
      assert.equal(facts.selected(g), want, app);
      assert.equal(facts.selected(g), want, `${app} (cached)`);
    }
  });

  it('recording a node at once gives the counts of recording its pods one by one, in groups made before and after', () => {
    const reqs = Requirements.fromLabels({ [ZONE]: 'a', 'kubernetes.io/hostname': 'n' });
    const term = requiredAntiAffinityTerms({ ...bound[2]!, spec: { ...bound[2]!.spec, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: { app: 'web' } } }] } } } })[0]!;
    const byPod = new Topology();
    byPod.registerDomain(ZONE, 'a');
    const early = byPod.group(term);
    for (const p of bound) byPod.record({ namespace: p.metadata.namespace ?? 'default', labels: p.metadata.labels ?? {}, nodeRequirements: reqs, taints: [] });
    const atOnce = new Topology();
    atOnce.registerDomain(ZONE, 'a');
    const early2 = atOnce.group(term);
    atOnce.recordNode({ pods: podListTopology(bound), nodeRequirements: reqs, taints: [] });
    assert.deepEqual([...early2.counts], [...early.counts]);
    assert.deepEqual([...early2.counts], [[ 'a', 2 ]]);
    const late = atOnce.group(requiredAntiAffinityTerms(bound[2]!)[0]!);
    const lateByPod = byPod.group(requiredAntiAffinityTerms(bound[2]!)[0]!);
    assert.deepEqual([...late.counts], [...lateByPod.counts]);
  });
});

describe('existingNodeFacts', () => {
  it('is kept per node object, registers the allocatable\'s names then the pods\', and keeps its remaining vector per layout', () => {
    const n = solverNode('n', { cpu: '4', bound: [...bound, { ...pod({ name: 'g' }), spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } }] });
    const f = existingNodeFacts(n);
    assert.equal(existingNodeFacts(n), f);
    assert.deepEqual(Object.keys(f.names), ['cpu', 'memory', 'pods', 'example.com/gpu']);
    const space = new ResourceSpace();
    space.register(f.names);
    space.freeze();
    const layout = space.names.join(',');
    const used = space.zero();
    for (const p of n.pods) { const v = space.vector(safePodRequests(p)); for (let i = 0; i < v.length; i++) used[i]! += v[i]!; }
    const want = sub(space.vector(n.allocatable), used);
    assert.deepEqual(f.remaining(space, layout), want);
    assert.equal(f.remaining(space, layout), f.remaining(space, layout));
  });

  it('shares one names record between nodes with the same names in the same order, and only those', () => {
    const gpuPod = { ...pod({ name: 'g' }), spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } };
    const a = existingNodeFacts(solverNode('a', { cpu: '4', bound }));
    const b = existingNodeFacts(solverNode('b', { cpu: '8', bound: bound.slice(0, 1) }));
    const gpu = existingNodeFacts(solverNode('c', { cpu: '4', bound: [gpuPod] }));
    assert.equal(a.names, b.names);
    assert.notEqual(gpu.names, a.names);
    assert.deepEqual(Object.keys(a.names), ['cpu', 'memory', 'pods']);
    assert.deepEqual(Object.keys(gpu.names), ['cpu', 'memory', 'pods', 'example.com/gpu']);
    // A base registers every node's names in first-seen order, whether or not records repeat.
    const space = new ResourceSpace();
    registerNodeResources(space, new NodeBase([solverNode('d', { cpu: '2' }), solverNode('e', { cpu: '4', bound: [gpuPod] }), solverNode('f', { cpu: '2' })]).all());
    assert.deepEqual(space.names, ['cpu', 'memory', 'pods', 'ephemeral-storage', 'example.com/gpu']);
  });

  it('starts over when the node object is reused with other labels, allocatable or pods', () => {
    const n = solverNode('n', { zone: 'a', bound });
    const f = existingNodeFacts(n);
    const moved = { ...n, labels: { ...n.labels, [ZONE]: 'b' } };
    assert.equal(existingNodeFacts(moved).labels.labels[ZONE], 'b');
    const mutable = { ...n };
    assert.equal(existingNodeFacts(mutable).labels, f.labels);
    mutable.pods = bound.slice(0, 1);
    assert.equal(existingNodeFacts(mutable).pods.classes.length, 1);
  });
});
