import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import type { PodRef } from '../../kube/types.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { makeTestEnv, type TestEnv } from '../../test/env.js';
import { launchAndRegister, nodeClaims, pendingPod } from '../provisioning/fixtures.js';
import { Provisioner } from '../provisioning/provisioner.js';
import { DirectBinder } from './direct-binder.js';

const SMALL = instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 });
const MEDIUM = instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 });
const CATALOGUE = [SMALL, MEDIUM];

interface Setup {
  env: TestEnv;
  prov: Provisioner;
  binder: DirectBinder;
  binds: string[];
  settle(): Promise<number>;
  stop(): Promise<void>;
}

async function setup(binding: 'direct' | 'scheduler' = 'direct', startupTaints = false): Promise<Setup> {
  const env = await makeTestEnv({ instanceTypes: CATALOGUE, options: { binding } });
  await env.kube.create('NodePool', nodePool(startupTaints ? { startupTaints: [{ key: 'cni-not-ready', effect: 'NoSchedule' }] } : {}));
  const prov = new Provisioner(env.ctx);
  const binder = new DirectBinder(env.ctx, prov.plan, { onReleased: () => prov.trigger() });
  const binds: string[] = [];
  const bind = env.kube.bind.bind(env.kube);
  env.kube.bind = (p: PodRef, node: string): Promise<void> => {
    binds.push(`${p.metadata.name ?? ''}->${node}`);
    return bind(p, node);
  };
  prov.start();
  binder.start();
  return {
    env, prov, binder, binds,
    settle: () => env.settle([prov, binder]),
    async stop() {
      await binder.stop();
      await prov.stop();
      await env.stop();
    },
  };
}

async function nodeOf(env: TestEnv, name: string): Promise<string | undefined> {
  return (await env.kube.get('Pod', name, 'default')).spec.nodeName;
}

async function onlyClaim(env: TestEnv): Promise<string> {
  const claims = await nodeClaims(env);
  assert.equal(claims.length, 1);
  return claims[0]!.metadata.name!;
}

describe('DirectBinder', () => {
  it('binds the planned pods once the Node is Ready, exactly once each', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await pendingPod(s.env, { name: 'b', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await launchAndRegister(s.env, claim, CATALOGUE, { ready: false });
    await s.settle();
    assert.deepEqual(s.binds, [], 'nothing is bound before the Node is Ready');
    await s.env.kube.patchStatus('Node', claim, { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await s.settle();
    assert.deepEqual(s.binds.sort(), [`a->${claim}`, `b->${claim}`]);
    assert.equal(await nodeOf(s.env, 'a'), claim);
    assert.equal(await nodeOf(s.env, 'b'), claim);
    // More changes to the node, and more provisioning, never bind them again.
    await s.env.kube.patch('Node', claim, { metadata: { labels: { touched: 'yes' } } });
    s.prov.trigger();
    await s.settle();
    assert.equal(s.binds.length, 2);
    assert.equal(s.binder.stats.bound, 2);
    assert.equal((await nodeClaims(s.env)).length, 1, 'bound pods are not provisioned for again');
    await s.stop();
  });

  it('waits for startup taints to go', async () => {
    const s = await setup('direct', true);
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.settle();
    assert.deepEqual(s.binds, []);
    await s.env.kube.patch('Node', claim, { spec: { taints: [] } });
    await s.settle();
    assert.deepEqual(s.binds, [`a->${claim}`]);
    await s.stop();
  });

  it('does not bind again while its cache still shows the pod unbound', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await s.binder.stop();
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.env.settle([s.prov]);
    const stale = s.env.state.pod('default/a')!;
    const state = s.env.state;
    const staleState = new Proxy(state, {
      get(target, prop) {
        if (prop === 'pod') return (key: string) => (key === 'default/a' ? stale : target.pod(key));
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
    const binder = new DirectBinder({ ...s.env.ctx, state: staleState }, s.prov.plan);
    await binder.reconcile(claim);
    await binder.reconcile(claim);
    assert.deepEqual(s.binds, [`a->${claim}`]);
    assert.equal(binder.stats.conflicts, 0, 'no second bind reached the API');
    await s.stop();
  });

  it('skips a pod someone else bound first, and binds the rest', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await pendingPod(s.env, { name: 'b', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await s.env.kube.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'elsewhere' }, spec: {}, status: {} });
    await s.env.kube.bind({ metadata: { name: 'a', namespace: 'default' } }, 'elsewhere');
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.settle();
    assert.equal(await nodeOf(s.env, 'a'), 'elsewhere');
    assert.equal(await nodeOf(s.env, 'b'), claim);
    assert.deepEqual(s.binds.filter((b) => b.endsWith(claim)), [`b->${claim}`]);
    await s.stop();
  });

  it('takes a Conflict from the API as someone else having bound the pod', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    // The binder's cache still shows the pod unbound when it binds: the API refuses.
    const realBind = s.env.kube.bind.bind(s.env.kube);
    s.env.kube.bind = async (p: PodRef, node: string): Promise<void> => {
      s.env.kube.bind = realBind;
      await realBind({ metadata: { name: 'a', namespace: 'default' } }, 'racer');
      return realBind(p, node);
    };
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.settle();
    assert.equal(await nodeOf(s.env, 'a'), 'racer');
    assert.equal(s.binder.stats.conflicts, 1);
    assert.equal(s.binder.stats.bound, 0);
    await s.stop();
  });

  it('never binds onto a node where the pod no longer fits, and provisions for it again', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '1500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    // Before the node comes up, something else takes its room.
    const squatter: Pod = pod({ name: 'squatter', cpu: '1500m', nodeName: claim });
    await s.env.kube.create('Pod', squatter);
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.settle();
    assert.deepEqual(s.binds, []);
    assert.equal(s.binder.stats.released, 1);
    const claims = await nodeClaims(s.env);
    assert.equal(claims.length, 2, 'the pod that did not fit got a new claim');
    const second = claims.find((c) => c.metadata.name !== claim)!.metadata.name!;
    assert.equal(s.prov.plan.of('default/a')?.target, second);
    await launchAndRegister(s.env, second, CATALOGUE);
    await s.settle();
    assert.deepEqual(s.binds, [`a->${second}`]);
    await s.stop();
  });

  it('never binds onto a node with a taint the pod does not tolerate', async () => {
    const s = await setup();
    await pendingPod(s.env, { name: 'a', cpu: '500m', unschedulable: false });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await launchAndRegister(s.env, claim, CATALOGUE, { extraTaints: [{ key: 'maintenance', effect: 'NoSchedule' }] });
    await s.settle();
    assert.deepEqual(s.binds, []);
    assert.equal(s.binder.stats.released, 1);
    await s.stop();
  });

  it('does nothing when kube-scheduler binds', async () => {
    const s = await setup('scheduler');
    await pendingPod(s.env, { name: 'a', cpu: '500m' });
    await s.settle();
    const claim = await onlyClaim(s.env);
    await launchAndRegister(s.env, claim, CATALOGUE);
    await s.settle();
    assert.deepEqual(s.binds, []);
    await s.stop();
  });
});
