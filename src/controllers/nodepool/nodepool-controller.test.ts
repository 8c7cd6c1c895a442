import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION, NODEPOOL_LABEL } from '../../apis/labels.js';
import { nodePoolHash } from '../../apis/v1/hash.js';
import type { NodePool } from '../../apis/v1/types.js';
import { instanceType, nodePool } from '../../test/builders.js';
import { makeTestEnv, type TestEnv } from '../../test/env.js';
import { nodeClaims, pendingPod } from '../provisioning/fixtures.js';
import { Provisioner } from '../provisioning/provisioner.js';
import { NodePoolController } from './nodepool-controller.js';
import { resourcesPatch } from './status.js';

const CATALOGUE = [instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }), instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 })];

function invalidPool(name: string): NodePool {
  const np = nodePool({ name, weight: 100 });
  np.spec.template.spec.requirements = [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small'], minValues: 2 }];
  return np;
}

async function validation(env: TestEnv, name: string): Promise<{ status?: string; reason?: string; message?: string } | undefined> {
  const np = await env.kube.get('NodePool', name);
  return np.status?.conditions?.find((c) => c.type === 'ValidationSucceeded');
}

async function warnings(env: TestEnv): Promise<string[]> {
  return (await env.kube.list('Event')).items.filter((e) => e.reason === 'ValidationFailed').map((e) => `${e.type}:${e.regarding?.kind}/${e.regarding?.name}`);
}

describe('NodePoolController', () => {
  it('marks an invalid NodePool with a condition and an Event while the other NodePools keep provisioning', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', invalidPool('broken'));
    await env.kube.create('NodePool', nodePool({ name: 'good' }));
    await env.settle();
    const ctl = new NodePoolController(env.ctx);
    const prov = new Provisioner(env.ctx);
    ctl.start();
    prov.start();
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([ctl, prov]);

    const broken = await validation(env, 'broken');
    assert.equal(broken?.status, 'False');
    assert.equal(broken?.reason, 'ValidationFailed');
    assert.match(broken?.message ?? '', /spec\.template\.spec\.requirements\[0\]\.minValues/);
    assert.deepEqual(await warnings(env), ['Warning:NodePool/broken']);
    const note = (await env.kube.list('Event')).items.find((e) => e.reason === 'ValidationFailed')?.note ?? '';
    assert.match(note, /NodePool broken is invalid, so no nodes are launched from it: .*minValues/);
    assert.equal((await validation(env, 'good'))?.status, 'True');
    assert.deepEqual((await nodeClaims(env)).map((c) => c.metadata.labels?.[NODEPOOL_LABEL]), ['good']);

    // Fixing it turns the condition True, with no further warning.
    const fixed = await env.kube.get('NodePool', 'broken');
    fixed.spec.template.spec.requirements = [];
    await env.kube.update('NodePool', fixed);
    await env.settle([ctl, prov]);
    assert.equal((await validation(env, 'broken'))?.status, 'True');
    assert.deepEqual(await warnings(env), ['Warning:NodePool/broken']);
    await prov.stop();
    await ctl.stop();
    await env.stop();
  });

  it('warns once per distinct set of problems, however often it reconciles', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', invalidPool('broken'));
    const ctl = new NodePoolController(env.ctx);
    ctl.start();
    await env.settle([ctl]);
    for (let i = 0; i < 3; i++) await ctl.reconcile('broken');
    await env.settle([ctl]);
    assert.equal((await warnings(env)).length, 1);
    const np = await env.kube.get('NodePool', 'broken');
    np.spec.weight = 500; // a second problem
    await env.kube.update('NodePool', np);
    await env.settle([ctl]);
    assert.equal((await warnings(env)).length, 2);
    assert.match((await validation(env, 'broken'))?.message ?? '', /spec\.weight.*; |; .*spec\.weight/);
    await ctl.stop();
    await env.stop();
  });

  it('keeps the hash annotations current, and none on an invalid pool', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool({ name: 'good' }));
    await env.kube.create('NodePool', invalidPool('broken'));
    const ctl = new NodePoolController(env.ctx);
    ctl.start();
    await env.settle([ctl]);
    let good = await env.kube.get('NodePool', 'good');
    assert.equal(good.metadata.annotations?.[NODEPOOL_HASH_ANNOTATION], nodePoolHash(good));
    assert.equal(good.metadata.annotations?.[NODEPOOL_HASH_VERSION_ANNOTATION], 'nodewright-v1');
    assert.equal((await env.kube.get('NodePool', 'broken')).metadata.annotations?.[NODEPOOL_HASH_ANNOTATION], undefined);
    const before = good.metadata.annotations?.[NODEPOOL_HASH_ANNOTATION];
    good.spec.template.spec.taints = [{ key: 'dedicated', effect: 'NoSchedule' }];
    await env.kube.update('NodePool', good);
    await env.settle([ctl]);
    good = await env.kube.get('NodePool', 'good');
    assert.notEqual(good.metadata.annotations?.[NODEPOOL_HASH_ANNOTATION], before);
    assert.equal(good.metadata.annotations?.[NODEPOOL_HASH_ANNOTATION], nodePoolHash(good));
    await ctl.stop();
    await env.stop();
  });

  it('keeps status.resources and status.nodes to the machines of the pool', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool({ name: 'default' }));
    const ctl = new NodePoolController(env.ctx);
    const prov = new Provisioner(env.ctx);
    ctl.start();
    prov.start();
    await env.settle([ctl]);
    assert.equal((await env.kube.get('NodePool', 'default')).status?.nodes, 0);
    await pendingPod(env, { name: 'a', cpu: '1500m' });
    await pendingPod(env, { name: 'b', cpu: '3' });
    await env.settle([ctl, prov]);
    let status = (await env.kube.get('NodePool', 'default')).status;
    const claims = await nodeClaims(env);
    assert.equal(claims.length, 2);
    assert.equal(status?.nodes, 2);
    assert.deepEqual(status?.resources, { cpu: '4500m', pods: '2', nodes: '2' }, 'in-flight claims count by their requests');
    await env.kube.delete('NodeClaim', claims[0]!.metadata.name!);
    await env.settle([ctl]);
    status = (await env.kube.get('NodePool', 'default')).status;
    assert.equal(status?.nodes, 1);
    assert.equal(status?.resources?.['nodes'], '1');
    await prov.stop();
    await ctl.stop();
    await env.stop();
  });
});

describe('resourcesPatch', () => {
  it('sets changed keys, removes vanished ones, and is undefined when equal', () => {
    assert.equal(resourcesPatch({ cpu: '4', nodes: '1' }, { cpu: '4', nodes: '1' }), undefined);
    assert.deepEqual(resourcesPatch({ cpu: '4', 'nvidia.com/gpu': '1' }, { cpu: '8' }), { cpu: '8', 'nvidia.com/gpu': null });
    assert.deepEqual(resourcesPatch(undefined, { nodes: '0' }), { nodes: '0' });
  });
});
