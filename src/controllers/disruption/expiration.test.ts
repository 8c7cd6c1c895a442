import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { KubeClient } from '../../kube/types.js';
import { ClusterState } from '../../state/cluster-state.js';
import { node } from '../../test/builders.js';
import { makeTestEnv } from '../../test/env.js';
import type { Clock } from '../../utils/clock.js';
import { nodeClaim } from '../nodeclaim/fixtures.js';
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

describe('expiration against a walk from scratch', () => {
  const INTERVAL = 10_000;

  /**
   * An expiration controller over a bare cache whose clock moves only by `step` and whose timers
   * never fire, so only the passes a test runs happen; its deletes are recorded, not done.
   */
  async function bare() {
    const env = await makeTestEnv({ cloud: 'fake' });
    let now = env.clock.now();
    const clock: Clock = { now: () => now, nowIso: () => new Date(now).toISOString(), sleep: () => new Promise(() => {}), setTimer: () => () => {} };
    const state = new ClusterState({ clock });
    state.markSynced();
    const deleted: string[] = [];
    const kube = { delete: (_kind: string, name: string) => Promise.resolve(void deleted.push(name)) } as unknown as KubeClient;
    const exp = new ExpirationController({ ...env.ctx, clock, state, kube, options: { ...env.ctx.options, disruptionIntervalMs: INTERVAL } });
    return {
      state, exp,
      now: () => now,
      step: (ms: number) => void (now += ms),
      start: async () => {
        exp.start();
        await new Promise((r) => setImmediate(r)); // its first pass
      },
      /** One pass: what it deleted and when it wakes. */
      pass: async () => {
        deleted.length = 0;
        const { requeueAfterMs } = await exp.reconcile();
        return { deleted: [...deleted], requeueAfterMs };
      },
      stop: async () => {
        await exp.stop();
        await env.stop();
      },
    };
  }

  function machineNode(name: string, providerID: string | undefined, deletionTimestamp?: string): Node {
    const n = node(name);
    n.metadata.deletionTimestamp = deletionTimestamp;
    n.spec = { ...n.spec, providerID };
    return n;
  }

  function machineClaim(name: string, providerID: string | undefined, o: { created: number; after: string | undefined; deletionTimestamp?: string }): NodeClaim {
    const c = nodeClaim({ name });
    c.metadata.creationTimestamp = new Date(o.created).toISOString();
    c.metadata.deletionTimestamp = o.deletionTimestamp;
    c.spec.expireAfter = o.after;
    c.status = providerID ? { providerID } : {};
    return c;
  }

  /** What a walk over every machine deletes and when it wakes, read from the views. */
  function fromScratch(state: ClusterState, now: number): { deleted: string[]; requeueAfterMs: number } {
    const deleted: string[] = [];
    let next = now + INTERVAL;
    for (const n of state.nodes()) {
      const at = n.nodeClaim && !n.deleting ? expiresAt(n.nodeClaim) : undefined;
      if (at === undefined) continue;
      if (at > now) next = Math.min(next, at);
      else deleted.push(n.nodeClaimName!);
    }
    return { deleted, requeueAfterMs: next - now };
  }

  it('sees a claim whose deleting Node moved to another machine (told of only as that machine\'s change)', async () => {
    const t = await bare();
    await t.start();
    const gone = new Date(t.now()).toISOString();
    t.state.apply('Node', machineNode('n', 'pid-0', gone));
    t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created: t.now(), after: '5s' }));
    t.state.apply('NodeClaim', machineClaim('far', 'pid-9', { created: t.now(), after: '1h' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: INTERVAL }, 'c\'s machine is deleting');
    t.state.apply('Node', machineNode('n', 'pid-1', gone));
    t.step(6_000);
    assert.deepEqual(await t.pass(), { deleted: ['c'], requeueAfterMs: INTERVAL }, 'c alone now, expired');
    await t.stop();
  });

  it('counts a claim written again with a nearer expiry between passes that do not walk', async () => {
    const t = await bare();
    await t.start();
    const created = t.now();
    t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created, after: '1h' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: INTERVAL });
    t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created, after: '1h' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: INTERVAL });
    t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created, after: '5s' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: 5_000 }, 'a shorter expireAfter');
    for (let i = 0; i < 2; i++) {
      t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created, after: '1h' }));
      assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: INTERVAL });
    }
    t.state.apply('NodeClaim', machineClaim('c', 'pid-0', { created: created - 3_600_000 + 7_000, after: '1h' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: 7_000 }, 'an earlier creation');
    await t.stop();
  });

  it('walks every pass once stopped (no change is told of then)', async () => {
    const t = await bare();
    await t.start();
    t.state.apply('NodeClaim', machineClaim('a', 'pid-0', { created: t.now(), after: '1h' }));
    assert.deepEqual(await t.pass(), { deleted: [], requeueAfterMs: INTERVAL });
    await t.exp.stop();
    t.state.apply('NodeClaim', machineClaim('b', 'pid-1', { created: t.now(), after: '5s' }));
    t.step(6_000);
    assert.deepEqual(await t.pass(), { deleted: ['b'], requeueAfterMs: INTERVAL });
    await t.stop();
  });

  // Nodes and claims drawn from a few names and providerIDs, so machines join, split and re-key,
  // and a deleting Node can move away from a claim.
  type Op =
    | { kind: 'Node'; name: number; pid: number | null; deleting: boolean; remove: boolean }
    | { kind: 'NodeClaim'; name: number; pid: number | null; deleting: boolean; remove: boolean; after: string | undefined; agoS: number }
    | { kind: 'step'; ms: number }
    | { kind: 'pass' }
    | { kind: 'start' }
    | { kind: 'stop' };
  const common = { name: fc.integer({ min: 0, max: 3 }), pid: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), deleting: fc.boolean(), remove: fc.boolean() };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('Node' as const), ...common }),
    fc.record({
      kind: fc.constant('NodeClaim' as const), ...common,
      after: fc.constantFrom('Never', '5s', '20s', '1m', undefined, 'soon'), agoS: fc.integer({ min: 0, max: 30 }),
    }),
    fc.record({ kind: fc.constant('step' as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
    fc.constant({ kind: 'pass' as const }),
    fc.constant({ kind: 'start' as const }),
    fc.constant({ kind: 'stop' as const }),
  );

  it('deletes the same claims and wakes at the same time after any writes and moves, started, stopped or not', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
      const t = await bare();
      const held = new Map<string, Node | NodeClaim>();
      let stopped = false;
      for (const o of ops) {
        if (o.kind === 'step') t.step(o.ms);
        else if (o.kind === 'start') {
          if (!stopped) await t.start(); // a controller is not started again once stopped
        } else if (o.kind === 'stop') {
          await t.exp.stop();
          stopped = true;
        } else if (o.kind === 'pass') {
          const want = fromScratch(t.state, t.now());
          assert.deepEqual(await t.pass(), want, JSON.stringify(ops));
        } else {
          const key = `${o.kind}/m${o.name}`;
          const obj = held.get(key);
          if (o.remove) {
            if (obj === undefined) continue;
            held.delete(key);
            t.state.remove(o.kind, obj);
            continue;
          }
          const providerID = o.pid === null ? undefined : `pid-${o.pid}`;
          const deletionTimestamp = o.deleting ? new Date(t.now()).toISOString() : undefined;
          if (o.kind === 'Node') {
            const n = machineNode(`m${o.name}`, providerID, deletionTimestamp);
            held.set(key, n);
            t.state.apply('Node', n);
          } else {
            const c = machineClaim(`m${o.name}`, providerID, { created: t.now() - o.agoS * 1000, after: o.after, deletionTimestamp });
            held.set(key, c);
            t.state.apply('NodeClaim', c);
          }
        }
      }
      await t.stop();
    }), { numRuns: 300 });
  });
});
