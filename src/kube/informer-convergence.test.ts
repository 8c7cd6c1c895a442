/**
 * Property: whatever the server does to the informer's connection (drops, expired history,
 * failing lists) the informer's store converges to the server's state, and a handler that applies
 * every event it gets to its own map always agrees with the store, so no event is lost or doubled.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../apis/core.js';
import { VirtualClock } from '../utils/clock.js';
import { Informer } from './informer.js';
import { MemoryKubeClient } from './memory/memory-client.js';
import type { KubeClient } from './types.js';

type Op =
  | { op: 'create' | 'patch' | 'delete'; name: number }
  | { op: 'drop' | 'disconnect' | 'expire' | 'failList' }
  | { op: 'step'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('create', 'patch', 'delete'), name: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('drop', 'disconnect', 'expire', 'failList') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('step'), ms: fc.integer({ min: 0, max: 3_000 }) }) },
);

const podNamed = (name: string): Pod => ({ metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c' }] } });

async function ignoreApiErrors(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch { /* NotFound / AlreadyExists: the op simply did nothing */ }
}

/** Totals over all runs, to check the property did exercise relists. */
const seen = { relists: 0, relistDeletes: 0 };

async function runScenario(ops: Op[]): Promise<void> {
  const clock = new VirtualClock();
  const client = new MemoryKubeClient({ clock, bookmarkIntervalMs: 2_000 });
  let failLists = 0;
  const flaky = new Proxy(client, {
    get: (target, prop) => {
      if (prop === 'list') {
        const list: KubeClient['list'] = (kind, opts) => (failLists > 0 ? (failLists--, Promise.reject(new Error('injected list failure'))) : client.list(kind, opts));
        return list;
      }
      return (Reflect.get(target, prop) as unknown as () => unknown).bind(target);
    },
  });
  const informer = new Informer(flaky, 'Pod', { clock, watchTimeoutSeconds: 5, backoff: { initialMs: 100, maxMs: 2_000 } });
  const mirror = new Map<string, string>();
  informer.addHandler({
    onAdd: (p) => {
      assert.ok(!mirror.has(p.metadata.name!), 'add of a present object');
      mirror.set(p.metadata.name!, p.metadata.resourceVersion!);
    },
    onUpdate: (o, n) => {
      assert.equal(mirror.get(n.metadata.name!), o.metadata.resourceVersion, 'update from the last delivered state');
      mirror.set(n.metadata.name!, n.metadata.resourceVersion!);
    },
    onDelete: (p, unknown) => {
      assert.ok(mirror.delete(p.metadata.name!), 'delete of an absent object');
      if (unknown) seen.relistDeletes++;
    },
  });
  const storeView = (): Map<string, string> => new Map(informer.list().map((p) => [p.metadata.name!, p.metadata.resourceVersion!]));
  informer.start();
  let v = 0;
  for (const o of ops) {
    switch (o.op) {
      case 'create': await ignoreApiErrors(client.create('Pod', podNamed(`p${o.name}`))); break;
      case 'patch': await ignoreApiErrors(client.patch('Pod', `p${o.name}`, { metadata: { labels: { v: String(++v) } } }, 'default')); break;
      case 'delete': await ignoreApiErrors(client.delete('Pod', `p${o.name}`, 'default', { gracePeriodSeconds: 0 })); break;
      case 'drop': client.faults.dropWatches('Pod'); break;
      case 'disconnect':
        // The second drop hits the fresh watch before it saw anything: the informer backs off.
        client.faults.dropWatches('Pod');
        await clock.step(0);
        client.faults.dropWatches('Pod');
        break;
      case 'expire': client.faults.expireHistory('Pod'); break;
      case 'failList': failLists++; break;
      case 'step': await clock.step(o.ms); break;
    }
    assert.deepEqual(mirror, storeView(), 'the handler mirror matches the store at every moment');
  }
  await clock.step(10_000);
  const server = new Map((await client.list('Pod')).items.map((p) => [p.metadata.name!, p.metadata.resourceVersion!]));
  assert.deepEqual(storeView(), server, 'the store converged to the server');
  assert.deepEqual(mirror, server);
  seen.relists += informer.stats.relists;
  await informer.stop();
  client.close();
}

describe('Informer convergence', () => {
  it('converges to the server and loses no event under drops, 410s and failing lists', async () => {
    // A fixed seed: the assertion below checks that the runs exercised relists, which a random seed
    // only does most of the time.
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 60 }), runScenario), { numRuns: 80, seed: 1 });
    assert.ok(seen.relists > 10 && seen.relistDeletes > 3, `relists exercised: ${JSON.stringify(seen)}`);
  });

  it('a scripted worst case: expiry while disconnected with deletes, then a failing relist', async () => {
    const before = { ...seen };
    await runScenario([
      { op: 'create', name: 1 }, { op: 'create', name: 2 }, { op: 'step', ms: 0 },
      { op: 'disconnect' }, { op: 'delete', name: 1 }, { op: 'patch', name: 2 }, { op: 'create', name: 3 },
      { op: 'expire' }, { op: 'failList' }, { op: 'step', ms: 3_000 }, { op: 'delete', name: 3 },
    ]);
    assert.equal(seen.relists - before.relists, 1);
    assert.equal(seen.relistDeletes - before.relistDeletes, 1);
  });
});
