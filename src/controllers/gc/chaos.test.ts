import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionTypes } from '../../apis/v1/types.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import { CloudProviderError } from '../../cloudprovider/cloud-provider.js';
import { isConditionTrue } from '../nodeclaim/conditions.js';
import { nodeClaim, waitFor, whileStepping } from '../nodeclaim/fixtures.js';
import { harness } from '../termination/fixtures.js';
import { garbageCollector } from './garbage-collection.js';

const CLAIMS = 8;

/** The cloud, counting per method the calls that succeeded and those that faulted (retryable errors). */
function counting(cloud: CloudProvider, calls: Map<string, { ok: number; failed: number }>): CloudProvider {
  return new Proxy(cloud, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const c = calls.get(String(prop)) ?? { ok: 0, failed: 0 };
        calls.set(String(prop), c);
        try {
          const r: unknown = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          c.ok++;
          return r;
        } catch (e) {
          if (e instanceof CloudProviderError && e.retryable) c.failed++;
          throw e;
        }
      };
    },
  });
}

describe('lifecycle, termination and gc under cloud API faults', () => {
  for (const seed of [1, 2, 3]) {
    it(`converges with no machine launched twice and none leaked (seed ${seed})`, async () => {
      const calls = new Map<string, { ok: number; failed: number }>();
      const h = await harness({ sim: { seed, apiFaults: { rate: 0.3, timeoutMs: 20_000 } } }, (e) => ({ cloud: counting(e.cloud, calls) }));
      const { env, sim } = h;
      const gc = garbageCollector(h.ctx, { intervalMs: 10_000 });
      gc.loop.start();
      // Racing writers too: a few status and Node writes fail with Conflict.
      for (let n = 1; n <= 3; n++) {
        env.kube.faults.failWrite({ nth: n * 2, verb: 'patchStatus', kind: 'NodeClaim' });
        env.kube.faults.failWrite({ nth: n, verb: 'update', kind: 'Node' });
      }
      const names = Array.from({ length: CLAIMS }, (_, i) => `chaos-${i}`);
      for (const name of names) await env.kube.create('NodeClaim', nodeClaim({ name }));
      await waitFor(env.clock, 'every claim initialised',
        () => names.every((n) => isConditionTrue(h.claim(n), ConditionTypes.Initialized)), 2 * 3_600_000);

      const perClaim = new Map<string, number>();
      for (const i of sim.instances()) perClaim.set(i.claimName, (perClaim.get(i.claimName) ?? 0) + 1);
      assert.deepEqual([...perClaim.entries()].sort(), names.map((n) => [n, 1]).sort(), 'one machine per claim');

      for (const name of names) await env.kube.delete('NodeClaim', name);
      await waitFor(env.clock, 'everything gone', () => env.kube.count('NodeClaim') === 0 && env.kube.count('Node') === 0
        && sim.instances().every((i) => i.state === 'terminated'), 2 * 3_600_000);
      assert.equal(sim.instances().length, CLAIMS, 'no machine launched after deletion');
      assert.equal(gc.collector.stats.leakedInstances, 0, 'nothing was left for garbage collection');
      const faulted = [...calls.values()].reduce((n, c) => n + c.failed, 0);
      assert.ok(faulted >= 3, `the cloud faulted: ${JSON.stringify(Object.fromEntries(calls))}`);
      await whileStepping(env.clock, gc.loop.stop());
      await h.stop();
    });
  }
});
