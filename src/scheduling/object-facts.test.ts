import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import { pod } from '../test/builders.js';
import { podHostPorts } from './host-ports.js';
import { cachedPodRequests, nodeLabelFacts, podListHostPorts, podListUsage, registerPodList, safePodRequests } from './object-facts.js';
import { podRequests } from './pod-requests.js';
import { Requirements } from './requirements.js';
import { addInto, ResourceSpace } from './resource-space.js';

const withGpu = (name: string): Pod => {
  const p = pod({ name, cpu: '1', memory: '1Gi' });
  return { ...p, spec: { ...p.spec, containers: [{ name: 'c', resources: { requests: { cpu: '1', 'example.com/gpu': '2' } }, ports: [{ containerPort: 80, hostPort: 8080 }] }] } };
};
const broken = (): Pod => {
  const p = pod({ name: 'broken' });
  return { ...p, spec: { ...p.spec, containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] } };
};

describe('cachedPodRequests', () => {
  it('gives what podRequests gives, the same object for the same pod', () => {
    const p = pod({ name: 'a', cpu: '250m', memory: '1Gi' });
    assert.deepEqual(cachedPodRequests(p), podRequests(p));
    assert.equal(cachedPodRequests(p), cachedPodRequests(p));
  });

  it('throws podRequests\'s error for a pod whose requests do not parse, every time; safePodRequests counts one pod slot', () => {
    const p = broken();
    assert.throws(() => podRequests(p), (e: Error) => {
      assert.throws(() => cachedPodRequests(p), { message: e.message });
      assert.throws(() => cachedPodRequests(p), { message: e.message });
      return true;
    });
    assert.deepEqual(safePodRequests(p), { pods: 1 });
  });

  it('answers a pod version sharing the spec with the same object, and one with its own spec anew', () => {
    const p = pod({ name: 'b', cpu: '500m', memory: '1Gi' });
    const first = cachedPodRequests(p);
    const marked: Pod = { ...p, metadata: { ...p.metadata, labels: { app: 'x' } }, status: { phase: 'Pending' } };
    assert.equal(cachedPodRequests(marked), first);
    const resized: Pod = { ...p, spec: { ...p.spec, containers: [{ name: 'main', resources: { requests: { cpu: '2' } } }] } };
    assert.notEqual(cachedPodRequests(resized), first);
    assert.deepEqual(cachedPodRequests(resized), podRequests(resized));
  });

  it('counts one pod slot for a pod read without a spec, and does not throw', () => {
    const { spec: _, ...rest } = pod({ name: 'bare' });
    const bare = rest as unknown as Pod;
    assert.deepEqual(safePodRequests(bare), { pods: 1 });
    assert.throws(() => cachedPodRequests(bare));
  });
});

describe('pod list facts', () => {
  const pods = [pod({ name: 'x', cpu: '100m', memory: '128Mi' }), withGpu('y'), broken(), withGpu('z')];

  it('registers the names each pod\'s requests would, in the same order', () => {
    const byPod = new ResourceSpace();
    byPod.register({ 'example.com/other': 1 });
    for (const p of pods) byPod.register(safePodRequests(p));
    const byList = new ResourceSpace();
    byList.register({ 'example.com/other': 1 });
    registerPodList(byList, pods);
    assert.deepEqual(byList.names, byPod.names);
  });

  it('sums the requests in pod order, per layout, and lists the host ports in pod order', () => {
    for (const extra of [[], ['example.com/first']]) {
      const space = new ResourceSpace();
      for (const name of extra) space.register({ [name]: 0 });
      registerPodList(space, pods);
      space.freeze();
      const want = space.zero();
      for (const p of pods) addInto(want, space.vector(safePodRequests(p)));
      const layout = space.names.join(',');
      assert.deepEqual(podListUsage(space, layout, pods), want);
      assert.equal(podListUsage(space, layout, pods), podListUsage(space, layout, pods));
    }
    assert.deepEqual(podListHostPorts(pods), pods.flatMap((p) => podHostPorts(p)));
  });
});

describe('nodeLabelFacts', () => {
  it('adds metadata.name and gives the labels as requirements, recomputed for another node name', () => {
    const labels = { zone: 'a', 'kubernetes.io/hostname': 'n1' };
    const f = nodeLabelFacts('n1', labels);
    assert.deepEqual(f.labels, { ...labels, 'metadata.name': 'n1' });
    assert.equal(f.requirements.toString(), Requirements.fromLabels(f.labels).toString());
    assert.equal(nodeLabelFacts('n1', labels), f);
    assert.equal(nodeLabelFacts('n2', labels).labels['metadata.name'], 'n2');
  });

  it('names the one value of each key it is asked about, whichever key was asked last', () => {
    const f = nodeLabelFacts('n1', { zone: 'a', 'kubernetes.io/hostname': 'n1' });
    for (let round = 0; round < 2; round++) {
      assert.equal(f.domainOf('zone'), 'a');
      assert.equal(f.domainOf('kubernetes.io/hostname'), 'n1');
      assert.equal(f.domainOf('metadata.name'), 'n1');
      assert.equal(f.domainOf('missing'), undefined);
    }
    // Another label map with the same keys answers from its own labels, not the last facts asked.
    assert.equal(nodeLabelFacts('n2', { zone: 'b', 'kubernetes.io/hostname': 'n2' }).domainOf('zone'), 'b');
    assert.equal(f.domainOf('zone'), 'a');
  });
});
