import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExpirationController, expiresAt } from './expiration.js';
import { DisruptionController } from './controller.js';
import { addMachine, disruptionEnv, type DisruptionEnv } from './fixtures.js';

/** Sets the claim's expireAfter so that it expires `ms` from now. */
async function expireIn(env: DisruptionEnv['env'], claim: string, ms: number): Promise<void> {
  const c = await env.kube.get('NodeClaim', claim);
  const age = env.clock.now() - Date.parse(c.metadata.creationTimestamp!);
  await env.kube.patch('NodeClaim', claim, { spec: { ...c.spec, expireAfter: `${(age + ms) / 1000}s` } });
}

describe('expiration', () => {
  it('computes the expiry from creation and expireAfter; Never and garbage never expire', () => {
    const claim = (expireAfter?: string, created = '2024-01-01T00:00:00Z') => ({
      metadata: { creationTimestamp: created }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' }, expireAfter },
    });
    assert.equal(expiresAt(claim('1h')), Date.parse('2024-01-01T01:00:00Z'));
    assert.equal(expiresAt(claim()), Date.parse('2024-01-31T00:00:00Z'), 'default 720h');
    assert.equal(expiresAt(claim('Never')), undefined);
    assert.equal(expiresAt(claim('soon')), undefined);
  });

  it('deletes expired claims whatever budgets and do-not-disrupt say, and wakes at the next expiry', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '0' }] });
    const { env } = t;
    await addMachine(env, { name: 'old', type: 'small', expireAfter: '1h', nodeAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' }, pods: [{ name: 'a', cpu: '1' }] });
    await addMachine(env, { name: 'forever', type: 'small', expireAfter: 'Never' });
    await env.settle();
    const exp = new ExpirationController(env.ctx);
    const early = await exp.reconcile();
    assert.equal(early.requeueAfterMs, env.ctx.options.disruptionIntervalMs);
    await env.clock.step(3_600_000 - 3_000);
    assert.equal((await exp.reconcile()).requeueAfterMs, 3_000, 'wakes right at the expiry');
    exp.start();
    await env.clock.step(10_000);
    await env.settle([exp]);
    assert.deepEqual(await t.claims(), ['forever']);
    const d = env.decisions.filter((x) => x.kind === 'expire');
    assert.equal(d.length, 1);
    assert.deepEqual(d[0]!.nodes, ['old']);
    assert.deepEqual(d[0]!.pods, ['default/a']);
    assert.match(d[0]!.why, /expireAfter \(1h\) ran out/);
    await exp.stop();
    await t.stop();
  });
});

describe('expiration between passes', () => {
  it('reads a machine again when its claim changes, or another machine takes its place', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '0' }] });
    const { env } = t;
    for (const name of ['a', 'b', 'c']) await addMachine(env, { name, type: 'small', expireAfter: '10h' });
    await env.settle();
    const exp = new ExpirationController(env.ctx);
    const interval = env.ctx.options.disruptionIntervalMs;
    assert.equal((await exp.reconcile()).requeueAfterMs, interval);
    // b's claim now expires in 5 s: the same record, written since.
    await expireIn(env, 'b', 5_000);
    await env.settle();
    assert.equal((await exp.reconcile()).requeueAfterMs, 5_000, 'wakes at b\'s new expiry');
    await env.clock.step(5_000);
    await exp.reconcile();
    await env.settle();
    assert.deepEqual(await t.claims(), ['a', 'c']);
    // c's place in the cache's order goes to d, which has expired already.
    await env.kube.delete('NodeClaim', 'c');
    await env.settle();
    await addMachine(env, { name: 'd', type: 'small', expireAfter: '1s' });
    await env.clock.step(2_000);
    await env.settle();
    await exp.reconcile();
    await env.settle();
    assert.deepEqual(await t.claims(), ['a']);
    await t.stop();
  });
});

describe('expiration while started', () => {
  it('answers from the last walk only while no machine changed and none is due', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '0' }] });
    const { env } = t;
    for (const name of ['a', 'b']) await addMachine(env, { name, type: 'small', expireAfter: '10h' });
    await env.settle();
    const exp = new ExpirationController(env.ctx);
    exp.start();
    await env.settle([exp]);
    const interval = env.ctx.options.disruptionIntervalMs;
    assert.equal((await exp.reconcile()).requeueAfterMs, interval);
    await expireIn(env, 'b', 5_000);
    await env.settle();
    assert.equal((await exp.reconcile()).requeueAfterMs, 5_000, 'sees b\'s change');
    await env.clock.step(3_000);
    assert.equal((await exp.reconcile()).requeueAfterMs, 2_000, 'unchanged: the same earliest expiry, 3 s nearer');
    await env.clock.step(2_000);
    await exp.reconcile();
    await env.settle([exp]);
    assert.deepEqual(await t.claims(), ['a'], 'b is due: walked and deleted');
    await addMachine(env, { name: 'c', type: 'small', expireAfter: '1s' });
    await env.clock.step(2_000);
    await exp.reconcile();
    await env.settle([exp]);
    assert.deepEqual(await t.claims(), ['a'], 'a new machine is read');
    await exp.stop();
    await t.stop();
  });
});

describe('the disruption loop', () => {
  it('runs a pass every disruptionIntervalMs once started, and settles', async () => {
    const t = await disruptionEnv();
    const { env } = t;
    await t.ctrl.stop();
    const ctrl = new DisruptionController(env.ctx);
    ctrl.start();
    await env.settle([ctrl, t.life]);
    await addMachine(env, { name: 'e', type: 'small' });
    await env.clock.step(env.ctx.options.disruptionIntervalMs + env.ctx.options.consolidationValidationMs);
    await env.settle([ctrl, t.life]);
    assert.deepEqual(await t.claims(), []);
    assert.equal(env.decisions.filter((d) => d.kind === 'empty').length, 1);
    // Expiration runs with it.
    await addMachine(env, { name: 'brief', type: 'small', expireAfter: '2m', nodeAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    await env.clock.step(3 * 60_000);
    await env.settle([ctrl, t.life]);
    assert.deepEqual(await t.claims(), []);
    assert.equal(env.decisions.filter((d) => d.kind === 'expire').length, 1);
    await ctrl.stop();
    await t.stop();
  });
});
