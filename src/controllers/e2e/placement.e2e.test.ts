/** Where pods land, end to end: a zonal volume pins the node's zone; direct binding needs no kube-scheduler. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KWOK_LABEL_INSTANCE_CPU } from '../../cloudprovider/catalog/kwok.js';
import { ZONE_LABEL } from '../../apis/labels.js';
import { persistentVolume, persistentVolumeClaim, pod } from '../../test/builders.js';
import { e2e, fresh } from './harness.test.js';

describe('placement end to end', () => {
  it('launches the node of a pod whose PersistentVolume is in zone b in zone b, where kube-scheduler binds it', async () => {
    const t = await e2e();
    const { env } = t;
    await env.kube.create('PersistentVolume', persistentVolume('data-b', { zone: 'test-zone-b' }));
    await env.kube.create('PersistentVolumeClaim', persistentVolumeClaim('data', { volumeName: 'data-b' }));
    // A pod with no volume first: the cloud's choice when nothing pins the zone, to show the volume moved it.
    await env.kube.create('Pod', fresh(pod({ name: 'free', cpu: '1', memory: '1Gi' })));
    await t.allRunning(1);
    await env.kube.create('Pod', fresh(pod({ name: 'db', cpu: '12', memory: '1Gi', pvc: 'data' })));
    await t.allRunning(2);

    const zoneOf = async (name: string): Promise<string | undefined> => {
      const p = await env.kube.get('Pod', name, 'default');
      return (await env.kube.get('Node', p.spec.nodeName!)).metadata.labels?.[ZONE_LABEL];
    };
    assert.notEqual(await zoneOf('free'), 'test-zone-b', 'unpinned, the cloud picks another zone');
    assert.equal(await zoneOf('db'), 'test-zone-b');
    const claims = (await env.kube.list('NodeClaim')).items;
    assert.equal(claims.length, 2, 'the big pod needed a node of its own');
    await t.stop();
  });

  it('with direct binding and no kube-scheduler, binds the planned pods onto their new nodes once Ready, each once', async () => {
    // Types of at most 8 cpu, so the pods need several nodes.
    const t = await e2e({
      binding: 'direct', scheduler: false,
      pool: (np) => void (np.spec.template.spec.requirements = [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In', values: ['2', '4', '8'] }]),
    });
    const { env } = t;
    const boundTo = new Map<string, string>();
    const rebound: string[] = [];
    const tooEarly: string[] = [];
    env.state.subscribe((c) => {
      if (c.type !== 'Pod' || c.deleted || c.pod.spec.nodeName === undefined) return;
      const name = c.pod.metadata.name!;
      const before = boundTo.get(name);
      if (before !== undefined && before !== c.pod.spec.nodeName) rebound.push(name);
      const ready = env.state.node(c.pod.spec.nodeName)?.node?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
      if (before === undefined && !ready) tooEarly.push(name);
      boundTo.set(name, c.pod.spec.nodeName);
    });
    for (let i = 0; i < 40; i++) await env.kube.create('Pod', fresh(pod({ name: `web-${i}`, cpu: '1', memory: '2Gi', ownerKind: 'ReplicaSet' })));
    await t.allRunning(40);

    assert.equal(t.scheduler, undefined);
    const pods = await t.pods();
    const nodes = new Map((await env.kube.list('Node')).items.map((n) => [n.metadata.name!, n]));
    const claimNodes = new Set((await env.kube.list('NodeClaim')).items.map((c) => c.status?.nodeName));
    assert.ok(nodes.size >= 2, `${nodes.size} nodes`);
    for (const p of pods) {
      assert.equal(p.status?.phase, 'Running', p.metadata.name);
      assert.ok(claimNodes.has(p.spec.nodeName), `${p.metadata.name} is on a node nodewright launched`);
    }
    assert.equal(boundTo.size, 40, 'every pod bound');
    assert.deepEqual(rebound, [], 'no pod bound twice');
    assert.deepEqual(tooEarly, [], 'bound only once the node was Ready');
    await t.stop();
  });
});
