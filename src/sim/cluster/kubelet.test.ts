import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../apis/core.js';
import { isNotFound, KubeError } from '../../kube/errors.js';
import { node, pod } from '../../test/builders.js';
import { Random } from '../../utils/random.js';
import { RUN_DURATION_ANNOTATION } from './annotations.js';
import { KubeletStandIn } from './kubelet.js';
import type { TestCluster } from './testing.js';
import { testCluster } from './testing.js';

function notReady(n: Node): Node {
  return { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'False' }] } };
}

async function setup(o: { startMs?: number; orphanGcDelayMs?: number } = {}): Promise<{ c: TestCluster; k: KubeletStandIn }> {
  const c = await testCluster();
  const k = new KubeletStandIn({
    view: c.view, random: new Random(1), startDelay: { kind: 'fixed', ms: o.startMs ?? 5_000 },
    ...(o.orphanGcDelayMs !== undefined ? { orphanGcDelayMs: o.orphanGcDelayMs } : {}),
  });
  return { c, k };
}

describe('KubeletStandIn', () => {
  it('makes a pod bound to a Ready node Running after the start delay', async () => {
    const { c, k } = await setup({ startMs: 5_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', cpu: '1', nodeName: 'n' }));
    await c.step(4_999);
    assert.equal((await c.pod('p')).status?.phase, 'Pending');
    await c.step(1);
    const p = await c.pod('p');
    assert.equal(p.status?.phase, 'Running');
    assert.ok(p.status?.startTime);
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
      assert.equal(p.status?.conditions?.find((x) => x.type === type)?.status, 'True', type);
    }
    assert.equal(k.stats.started, 1);
    assert.ok(k.isIdle(3_600_000));
    k.stop();
    await c.stop();
  });

  it('waits for the node to be Ready, then counts the delay from there', async () => {
    const { c, k } = await setup({ startMs: 2_000 });
    await c.kube.create('Node', notReady(node('n')));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    await c.step(60_000);
    assert.equal((await c.pod('p')).status?.phase, 'Pending');
    await c.kube.patchStatus('Node', 'n', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await c.step(1_999);
    assert.equal((await c.pod('p')).status?.phase, 'Pending');
    await c.step(1);
    assert.equal((await c.pod('p')).status?.phase, 'Running');
    k.stop();
    await c.stop();
  });

  it('re-reads and retries the start when the status write hits a Conflict', async () => {
    const { c, k } = await setup({ startMs: 1_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    c.kube.faults.failWrite({ verb: 'patchStatus', kind: 'Pod' });
    c.kube.faults.failWrite({ verb: 'patchStatus', kind: 'Pod' });
    await c.step(1_000);
    assert.equal((await c.pod('p')).status?.phase, 'Running');
    assert.equal(k.stats.started, 1);
    assert.equal(k.errors.count, 0);
    k.stop();
    await c.stop();
  });

  it('re-reads and retries the completion when the status write hits a Conflict', async () => {
    const { c, k } = await setup({ startMs: 0 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'job-1', nodeName: 'n', annotations: { [RUN_DURATION_ANNOTATION]: '60000' } }));
    await c.step(1_000);
    assert.equal((await c.pod('job-1')).status?.phase, 'Running');
    c.kube.faults.failWrite({ verb: 'patchStatus', kind: 'Pod' });
    await c.step(60_000);
    const done = await c.pod('job-1');
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.conditions?.find((x) => x.type === 'PodScheduled')?.status, 'True', 'the retry keeps the conditions it re-read');
    assert.equal(k.stats.completed, 1);
    assert.equal(k.errors.count, 0);
    k.stop();
    await c.stop();
  });

  it('does not retry a start for a pod deleted while its write conflicted', async () => {
    const { c, k } = await setup({ startMs: 1_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    c.kube.faults.failWrite({
      verb: 'patchStatus', kind: 'Pod',
      error: (verb, kind, name) => {
        void c.kube.delete('Pod', name, 'default', { gracePeriodSeconds: 0 });
        return new KubeError('Conflict', `${verb} ${kind} ${name}: raced with a delete`, { kind, name });
      },
    });
    await c.step(1_000);
    await assert.rejects(c.pod('p'), isNotFound);
    assert.equal(k.stats.started, 0);
    assert.equal(k.errors.count, 0);
    k.stop();
    await c.stop();
  });

  it('reports a start whose write keeps conflicting, after a bounded number of retries', async () => {
    const { c, k } = await setup({ startMs: 1_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    for (let i = 0; i < 100; i++) c.kube.faults.failWrite({ verb: 'patchStatus', kind: 'Pod' });
    await c.step(1_000);
    assert.equal((await c.pod('p')).status?.phase, 'Pending');
    assert.equal(k.stats.started, 0);
    assert.equal(k.errors.count, 1);
    c.kube.faults.clear();
    k.stop();
    await c.stop();
  });

  it('does not start a pod that is deleted before its delay is up', async () => {
    const { c, k } = await setup({ startMs: 2_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    await c.step(1_000);
    await c.kube.delete('Pod', 'p', 'default', { gracePeriodSeconds: 0 });
    await c.step(5_000);
    assert.equal(k.stats.started, 0);
    assert.equal(k.errors.count, 0);
    k.stop();
    await c.stop();
  });

  it('completes a pod with a run duration that long after it started', async () => {
    const { c, k } = await setup({ startMs: 1_000 });
    await c.kube.create('Node', node('n'));
    const job = pod({ name: 'job-1', nodeName: 'n', annotations: { [RUN_DURATION_ANNOTATION]: '600000' } });
    await c.kube.create('Pod', job);
    await c.kube.create('Pod', pod({ name: 'server', nodeName: 'n' }));
    await c.step(1_000 + 599_999);
    assert.equal((await c.pod('job-1')).status?.phase, 'Running');
    await c.step(1);
    const done = await c.pod('job-1');
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'False');
    await c.step(24 * 3_600_000);
    assert.equal((await c.pod('server')).status?.phase, 'Running');
    assert.equal(k.stats.completed, 1);
    k.stop();
    await c.stop();
  });

  it('deletes the pods of a node that is gone, after the PodGC quarantine', async () => {
    const { c, k } = await setup({ startMs: 0, orphanGcDelayMs: 40_000 });
    await c.kube.create('Node', node('n'));
    await c.kube.create('Pod', pod({ name: 'p', nodeName: 'n' }));
    await c.step(1_000);
    await c.kube.delete('Node', 'n');
    await c.step(39_999);
    assert.equal((await c.pod('p')).metadata.name, 'p');
    await c.step(1);
    await assert.rejects(c.pod('p'), isNotFound);
    assert.equal(k.stats.collected, 1);
    k.stop();
    await c.stop();
  });

  it('keeps the pods of a node that comes back within the quarantine', async () => {
    const { c, k } = await setup({ startMs: 0, orphanGcDelayMs: 40_000 });
    await c.kube.create('Pod', pod({ name: 'early', nodeName: 'late-node' }));
    await c.step(10_000);
    await c.kube.create('Node', node('late-node'));
    await c.step(60_000);
    assert.equal((await c.pod('early')).status?.phase, 'Running');
    assert.equal(k.stats.collected, 0);
    k.stop();
    await c.stop();
  });
});
