import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceType, nodePool } from '../../test/builders.js';
import { makeTestEnv } from '../../test/env.js';
import { nodeClaims, pendingPod } from './fixtures.js';
import { Provisioner } from './provisioner.js';
import { warmUp } from './warm-up.js';

const CATALOGUE = [instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }), instanceType('large', { cpu: '8', memory: '16Gi', price: 0.4 })];

describe('provisioning warm-up', () => {
  it('builds a claim per usable NodePool, tainted ones too, and writes nothing', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool({ name: 'a' }));
    await env.kube.create('NodePool', nodePool({ name: 'b', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await env.settle();
    assert.equal(await warmUp(env.ctx), 2);
    assert.deepEqual(await nodeClaims(env), []);
    assert.deepEqual((await env.kube.list('Event')).items, []);
    assert.deepEqual(env.decisions, []);
    await env.stop();
  });

  it('builds nothing without a usable NodePool', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.settle();
    assert.equal(await warmUp(env.ctx), 0);
    await env.stop();
  });

  it('runs once when the provisioner starts with nothing waiting, and holds back a round asked for meanwhile', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool());
    await env.settle();
    const prov = new Provisioner(env.ctx);
    prov.start();
    assert.equal(prov.isIdle(), false, 'warming up');
    prov.trigger();
    await env.settle([prov]);
    assert.deepEqual(prov.rounds.map((r) => r.pods), [0], 'the round asked for during the warm-up ran after it');
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 1);
    assert.deepEqual(prov.rounds.map((r) => r.pods), [0, 1]);
    await prov.stop();
    await env.stop();
  });
});
