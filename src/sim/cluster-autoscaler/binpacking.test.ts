import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSet, persistentVolume, persistentVolumeClaim, pod, solverNode } from '../../test/builders.js';
import { estimateNodes, filterOutSchedulable } from './binpacking.js';
import { group, type } from './fixtures.js';
import { cloudTemplate, templateNodes } from './templates.js';

const M = type('m.xlarge', 4, 16, 0.2);

describe('binpacking', () => {
  it('estimates nodes by First-Fit Decreasing', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const pods = ['1', '3', '2', '1', '2', '3', '2'].map((cpu) => pod({ cpu }));
    // Largest first: [3,1] [3,1] [2,2] [2]
    const e = estimateNodes(t, pods, 100);
    assert.equal(e.nodeCount, 4);
    assert.equal(e.pods.length, 7);
    const capped = estimateNodes(t, pods, 2);
    assert.equal(capped.nodeCount, 2);
    assert.deepEqual(capped.pods.map((p) => p.spec.containers[0]!.resources!.requests!.cpu).sort(), ['1', '1', '3', '3']);
    assert.equal(estimateNodes(t, [pod({ cpu: '5' })], 10).nodeCount, 0, 'a pod larger than the template fits no node');
  });

  it('reserves the DaemonSet pods that would run on the template', () => {
    const selective = daemonSet({ name: 'gpu-agent', cpu: '1', nodeSelector: { gpu: 'true' } });
    const agent = daemonSet({ name: 'agent', cpu: '1' });
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], [agent, selective]);
    assert.deepEqual(t.daemonSetPods.map((p) => p.metadata.name), ['agent-template-g']);
    assert.equal(t.labels['topology.kubernetes.io/zone'], 'zone-a');
    assert.equal(t.labels['node.kubernetes.io/instance-type'], 'm.xlarge');
    assert.equal(estimateNodes(t, [pod({ cpu: '2' }), pod({ cpu: '2' })], 10).nodeCount, 2, '3 cpu left per node');
  });

  it('leaves out pods that fit on existing or upcoming nodes', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const existing = [solverNode('n1', { cpu: '2', bound: [pod({ cpu: '1' })] })];
    const upcoming = templateNodes(t, 1, 'upcoming-g', true);
    const pods = [pod({ name: 'a', cpu: '1' }), pod({ name: 'b', cpu: '3' }), pod({ name: 'c', cpu: '2' })];
    const r = filterOutSchedulable(pods, existing, upcoming);
    assert.equal(r.onExisting, 1);
    assert.equal(r.onUpcoming, 1);
    assert.deepEqual(r.remaining.map((p) => p.metadata.name), ['c']);
  });

  it('takes volume zones into account', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const volumes = { persistentVolumes: [persistentVolume('pv-b', { zone: 'zone-b' })], persistentVolumeClaims: [persistentVolumeClaim('data-db-0', { volumeName: 'pv-b' })] };
    const db = pod({ name: 'db-0', cpu: '1', pvc: 'data-db-0' });
    assert.equal(estimateNodes(t, [db], 5, volumes).nodeCount, 0, 'the template is in zone-a, the volume in zone-b');
    const inB = cloudTemplate(group('g', 'm.xlarge', { zones: ['zone-b'] }), [M], []);
    assert.equal(estimateNodes(inB, [db], 5, volumes).nodeCount, 1);
    const r = filterOutSchedulable([db], [solverNode('a', { zone: 'zone-a' }), solverNode('b', { zone: 'zone-b' })], [], volumes);
    assert.equal(r.onExisting, 1);
  });
});
