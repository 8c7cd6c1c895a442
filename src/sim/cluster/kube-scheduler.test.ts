import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../apis/core.js';
import { failedToSchedule } from '../../state/pod-predicates.js';
import { node, persistentVolume, persistentVolumeClaim, pod } from '../../test/builders.js';
import { KubeSchedulerStandIn } from './kube-scheduler.js';
import type { TestCluster } from './testing.js';
import { testCluster } from './testing.js';

const ZONE = 'topology.kubernetes.io/zone';

async function setup(nodes: Node[], o: { passIntervalMs?: number } = {}): Promise<{ c: TestCluster; s: KubeSchedulerStandIn }> {
  const c = await testCluster();
  for (const n of nodes) await c.kube.create('Node', n);
  const s = new KubeSchedulerStandIn({ view: c.view, ...o });
  await c.step(0);
  return { c, s };
}

async function create(c: TestCluster, pods: Pod[]): Promise<void> {
  for (const p of pods) await c.kube.create('Pod', p);
}

function notReady(n: Node): Node {
  return { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'False' }] } };
}

describe('KubeSchedulerStandIn', () => {
  it('binds what fits and marks the rest Unschedulable within one pass', async () => {
    const { c, s } = await setup([node('a', { cpu: '4' }), node('b', { cpu: '4' })]);
    await create(c, Array.from({ length: 10 }, (_, i) => pod({ name: `p${i}`, cpu: '1' })));
    await c.step(0);
    assert.equal(s.stats.passes, 1);
    const pods = await c.pods();
    const bound = pods.filter((p) => p.spec.nodeName);
    assert.equal(bound.length, 8);
    assert.deepEqual(new Set(bound.map((p) => p.spec.nodeName)), new Set(['a', 'b']));
    for (const p of bound) assert.ok(p.status?.conditions?.some((x) => x.type === 'PodScheduled' && x.status === 'True'));
    const rest = pods.filter((p) => !p.spec.nodeName);
    assert.equal(rest.length, 2);
    for (const p of rest) {
      assert.ok(failedToSchedule(p), `${p.metadata.name ?? ''} marked Unschedulable`);
      assert.equal(p.status!.conditions!.find((x) => x.type === 'PodScheduled')!.message, '0/2 nodes are available: 2 Insufficient cpu.');
    }
    assert.equal(s.stats.markedUnschedulable, 2);
    s.stop();
    await c.stop();
  });

  it('skips tainted, NotReady and cordoned nodes; a toleration opens the tainted one', async () => {
    const tainted = node('tainted', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const evicting = node('noexec', { taints: [{ key: 'bad', effect: 'NoExecute' }] });
    const cordoned = { ...node('cordoned'), spec: { unschedulable: true } };
    const { c, s } = await setup([tainted, evicting, notReady(node('notready')), cordoned]);
    await create(c, [pod({ name: 'plain', cpu: '1' }), pod({ name: 'tolerant', cpu: '1', tolerations: [{ key: 'dedicated', operator: 'Exists' }] })]);
    await c.step(0);
    const plain = await c.pod('plain');
    assert.equal(plain.spec.nodeName, undefined);
    assert.ok(failedToSchedule(plain));
    assert.equal(plain.status!.conditions!.find((x) => x.type === 'PodScheduled')!.message,
      "0/4 nodes are available: 1 node(s) had untolerated taint {bad: }, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were not ready, 1 node(s) were unschedulable.");
    assert.equal((await c.pod('tolerant')).spec.nodeName, 'tainted');
    s.stop();
    await c.stop();
  });

  it('retries a waiting pod when a node turns Ready, at most one pass per interval', async () => {
    const { c, s } = await setup([notReady(node('late', { cpu: '2' }))], { passIntervalMs: 1_000 });
    await create(c, [pod({ name: 'w', cpu: '1' })]);
    await c.step(0);
    assert.ok(failedToSchedule(await c.pod('w')));
    await c.step(300);
    await c.kube.patchStatus('Node', 'late', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await c.step(0);
    // The first pass ran at 0; the retry waits for the interval (and the pod's 1 s backoff).
    assert.equal((await c.pod('w')).spec.nodeName, undefined);
    await c.step(700);
    assert.equal((await c.pod('w')).spec.nodeName, 'late');
    assert.equal(s.stats.passes, 2);
    assert.ok(s.isIdle(60_000));
    s.stop();
    await c.stop();
  });

  it('places higher-priority pods first', async () => {
    const { c, s } = await setup([node('only', { cpu: '2' })]);
    await create(c, [
      pod({ name: 'low', cpu: '1500m', priority: -5 }),
      pod({ name: 'high', cpu: '1500m', priority: 1000 }),
    ]);
    await c.step(0);
    assert.equal((await c.pod('high')).spec.nodeName, 'only');
    assert.ok(failedToSchedule(await c.pod('low')));
    s.stop();
    await c.stop();
  });

  it('frees room when a bound pod finishes or goes, and retries then', async () => {
    const { c, s } = await setup([node('n', { cpu: '2' })]);
    await create(c, [pod({ name: 'first', cpu: '2' })]);
    await c.step(0);
    await create(c, [pod({ name: 'second', cpu: '2' })]);
    await c.step(1_000);
    assert.ok(failedToSchedule(await c.pod('second')));
    await c.kube.patchStatus('Pod', 'first', { status: { phase: 'Succeeded' } });
    await c.step(2_000);
    assert.equal((await c.pod('second')).spec.nodeName, 'n');
    s.stop();
    await c.stop();
  });

  it("puts a pod with a zonal volume in its volume's zone", async () => {
    const { c, s } = await setup([node('in-a', { labels: { [ZONE]: 'a' } }), node('in-b', { labels: { [ZONE]: 'b' } })]);
    await c.kube.create('PersistentVolume', persistentVolume('pv-1', { zone: 'b' }));
    await c.kube.create('PersistentVolumeClaim', persistentVolumeClaim('data', { volumeName: 'pv-1' }));
    await c.step(0);
    await create(c, [pod({ name: 'db', cpu: '1', pvc: 'data' }), pod({ name: 'orphan', cpu: '1', pvc: 'missing' })]);
    await c.step(0);
    assert.equal((await c.pod('db')).spec.nodeName, 'in-b');
    const orphan = await c.pod('orphan');
    assert.ok(failedToSchedule(orphan));
    assert.equal(orphan.status!.conditions!.find((x) => x.type === 'PodScheduled')!.message, 'persistentvolumeclaim "missing" not found');
    s.stop();
    await c.stop();
  });

  it('counts pods already placed for topology spread', async () => {
    const zones = ['a', 'b', 'c'];
    const { c, s } = await setup(zones.map((z) => node(`n-${z}`, { cpu: '16', labels: { [ZONE]: z } })));
    // Zone a already holds two pods of the app, b one, c none: the next ones must go to c, then b or c,
    // although fillers make n-a the least allocated node (where a lone pod would go otherwise).
    await create(c, [
      pod({ name: 'filler-b', cpu: '8', nodeName: 'n-b' }),
      pod({ name: 'filler-c', cpu: '8', nodeName: 'n-c' }),
      pod({ name: 'old-1', cpu: '100m', labels: { app: 'x' }, nodeName: 'n-a' }),
      pod({ name: 'old-2', cpu: '100m', labels: { app: 'x' }, nodeName: 'n-a' }),
      pod({ name: 'old-3', cpu: '100m', labels: { app: 'x' }, nodeName: 'n-b' }),
    ]);
    const spread = [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } }];
    await create(c, [pod({ name: 'new-1', cpu: '100m', labels: { app: 'x' }, spread }), pod({ name: 'plain', cpu: '100m' })]);
    await c.step(0);
    assert.equal((await c.pod('new-1')).spec.nodeName, 'n-c');
    assert.equal((await c.pod('plain')).spec.nodeName, 'n-a');
    await create(c, [pod({ name: 'new-2', cpu: '100m', labels: { app: 'x' }, spread })]);
    await c.step(1_000);
    assert.notEqual((await c.pod('new-2')).spec.nodeName, 'n-a');
    s.stop();
    await c.stop();
  });

  it('leaves pods of other schedulers alone and skips a bind someone else made first', async () => {
    const { c, s } = await setup([node('n', { cpu: '4' })]);
    const other: Pod = { ...pod({ name: 'other', cpu: '1' }), spec: { ...pod({ cpu: '1' }).spec, schedulerName: 'my-scheduler' } };
    await create(c, [other, pod({ name: 'mine', cpu: '1' })]);
    await c.kube.bind({ metadata: { name: 'mine', namespace: 'default' } }, 'n'); // bound before the pass
    await c.step(0);
    assert.equal((await c.pod('other')).spec.nodeName, undefined);
    assert.ok(!failedToSchedule(await c.pod('other')));
    assert.equal(s.errors.count, 0);
    s.stop();
    await c.stop();
  });

  it('backs off a pod that keeps failing: node churn does not make a pass per event', async () => {
    const { c, s } = await setup([node('small', { cpu: '1' })]);
    await create(c, [pod({ name: 'big', cpu: '8' })]);
    await c.step(0);
    for (let i = 0; i < 120; i++) {
      await c.kube.patch('Node', 'small', { metadata: { labels: { churn: String(i) } } });
      await c.step(500);
    }
    // 60 s of an event every 500 ms: kube-scheduler's backoff (1, 2, 4, 8, then 10 s) allows ~9 passes.
    assert.ok(s.stats.passes >= 6 && s.stats.passes <= 10, `passes: ${s.stats.passes}`);
    assert.equal(s.stats.markedUnschedulable, 1);
    s.stop();
    await c.stop();
  });
});
