import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { node, pod } from '../../test/builders.js';
import { Random } from '../../utils/random.js';
import { KubeSchedulerStandIn } from './kube-scheduler.js';
import { KubeletStandIn } from './kubelet.js';
import type { ClusterSample } from './metrics.js';
import { ClusterMetrics } from './metrics.js';
import { testCluster } from './testing.js';

describe('ClusterMetrics', () => {
  it('records each pod from creation to Running, and samples pods and node usage every interval', async () => {
    const c = await testCluster();
    const scheduler = new KubeSchedulerStandIn({ view: c.view });
    const kubelet = new KubeletStandIn({ view: c.view, random: new Random(1), startDelay: { kind: 'fixed', ms: 2_000 } });
    const seen: ClusterSample[] = [];
    const metrics = new ClusterMetrics({ view: c.view, sampleIntervalMs: 10_000, perNode: true, onSample: (s) => seen.push(s) });
    await c.kube.create('Node', node('a', { cpu: '4', memory: '16Gi' }));
    await c.step(0);
    metrics.start();
    for (let i = 0; i < 3; i++) await c.kube.create('Pod', pod({ name: `fits-${i}`, cpu: '1', memory: '1Gi' }));
    await c.step(5_000);
    await c.kube.create('Pod', pod({ name: 'waits', cpu: '2', memory: '1Gi' }));
    await c.step(55_000); // t = 60 s
    await c.kube.create('Node', node('b', { cpu: '4', memory: '16Gi' }));
    await c.step(20_000); // t = 80 s

    const waits = new Map([...metrics.podTimings()].map((t) => [t.name, t.runningAt! - t.createdAt]));
    assert.deepEqual([...waits.keys()], ['fits-0', 'fits-1', 'fits-2', 'waits']);
    for (const i of [0, 1, 2]) assert.equal(waits.get(`fits-${i}`), 2_000);
    // Created at 5 s, node b at 60 s, then the backoff-limited retry and the 2 s start.
    const late = waits.get('waits')!;
    assert.ok(late >= 57_000 && late <= 67_000, `waited ${late} ms`);
    assert.deepEqual(metrics.podWaitsMs((t) => t.name.startsWith('fits')), [2_000, 2_000, 2_000]);

    assert.equal(metrics.samples.length, 9); // t = 0, 10, …, 80 s
    assert.deepEqual(seen, metrics.samples);
    assert.deepEqual(metrics.samples.map((s) => s.t), [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000]);
    const at10 = metrics.samples[1]!;
    assert.equal(at10.nodes, 1);
    assert.equal(at10.runningPods, 3);
    assert.equal(at10.unscheduledPods, 1);
    assert.equal(at10.pendingPods, 1);
    assert.equal(at10.cpuRequested, 3_000);
    assert.equal(at10.cpuAllocatable, 4_000);
    assert.equal(at10.memoryRequested, 3 * 2 ** 30);
    assert.deepEqual(at10.perNode?.map((n) => [n.name, n.cpuRequested, n.pods]), [['a', 3_000, 3]]);
    const last = metrics.samples.at(-1)!;
    assert.equal(last.nodes, 2);
    assert.equal(last.runningPods, 4);
    assert.equal(last.pendingPods, 0);
    assert.equal(last.cpuRequested, 5_000);
    assert.equal(last.cpuAllocatable, 8_000);

    metrics.stop();
    scheduler.stop();
    kubelet.stop();
    await c.stop();
  });
});
