import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import { VirtualClock } from '../utils/clock.js';
import type { InformerError, InformerHandler } from './informer.js';
import { Informer, POD_NODE_NAME_INDEX, podNodeNameIndex, UnknownIndexError } from './informer.js';
import type { InformerOptions } from './informer.js';
import { MemoryKubeClient } from './memory/memory-client.js';
import type { KubeClient } from './types.js';

const pod = (name: string, nodeName?: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c' }], ...(nodeName ? { nodeName } : {}) },
});

/** Records what handlers see, as short strings, and mirrors the events into a map. */
class Recorder implements InformerHandler<Pod> {
  readonly log: string[] = [];
  readonly mirror = new Map<string, string>();
  onAdd(p: Pod, initial: boolean): void {
    const name = p.metadata.name!;
    assert.ok(!this.mirror.has(name), `add of ${name} already present`);
    this.mirror.set(name, p.metadata.resourceVersion!);
    this.log.push(`add ${name}${initial ? ' (initial)' : ''}`);
  }
  onUpdate(o: Pod, n: Pod): void {
    const name = n.metadata.name!;
    assert.equal(this.mirror.get(name), o.metadata.resourceVersion, `update of ${name}: old is what was delivered last`);
    this.mirror.set(name, n.metadata.resourceVersion!);
    this.log.push(o === n ? `resync ${name}` : `update ${name}`);
  }
  onDelete(p: Pod, unknown: boolean): void {
    const name = p.metadata.name!;
    assert.ok(this.mirror.delete(name), `delete of ${name} not present`);
    this.log.push(`delete ${name}${unknown ? ' (relist)' : ''}`);
  }
  take(): string[] {
    return this.log.splice(0);
  }
}

function setup(opts: Partial<InformerOptions<Pod>> = {}): {
  clock: VirtualClock; client: MemoryKubeClient; informer: Informer<'Pod'>; rec: Recorder; errors: InformerError[];
} {
  const clock = new VirtualClock();
  // Shared, frozen watch objects (as the simulator runs): an informer that modified one would throw.
  const client = new MemoryKubeClient({ clock, freezeStored: true, shareWatchObjects: true, bookmarkIntervalMs: 5_000 });
  const errors: InformerError[] = [];
  const informer = new Informer(client, 'Pod', {
    clock, indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex }, onError: (e) => errors.push(e), ...opts,
  });
  const rec = new Recorder();
  informer.addHandler(rec);
  return { clock, client, informer, rec, errors };
}

describe('Informer', () => {
  it('lists, syncs, then delivers adds, updates (old and new) and deletes in order', async () => {
    const { clock, client, informer, rec } = setup();
    await client.create('Pod', pod('a'));
    assert.equal(informer.hasSynced(), false);
    const synced = informer.waitForSync();
    informer.start();
    await clock.step(0);
    await synced;
    assert.equal(informer.hasSynced(), true);
    assert.deepEqual(rec.take(), ['add a (initial)']);
    await client.create('Pod', pod('b'));
    await client.patch('Pod', 'a', { metadata: { labels: { x: '1' } } }, 'default');
    await client.delete('Pod', 'b', 'default');
    await clock.step(0);
    assert.deepEqual(rec.take(), ['add b', 'update a', 'delete b']);
    assert.equal(informer.getByName('a', 'default')?.metadata.labels?.x, '1');
    assert.equal(informer.get('default/b'), undefined);
    assert.equal(informer.size, 1);
    assert.equal(informer.lastSyncResourceVersion, client.resourceVersion);
    await informer.stop();
  });

  it('re-watches after timeouts from the bookmarked version, without relisting', async () => {
    const { clock, client, informer, rec } = setup({ watchTimeoutSeconds: 10 });
    informer.start();
    await clock.step(0);
    for (let i = 0; i < 5; i++) {
      await clock.step(7_000);
      await client.create('Pod', pod(`p${i}`));
    }
    await clock.step(1);
    assert.deepEqual(rec.take(), ['add p0', 'add p1', 'add p2', 'add p3', 'add p4']);
    assert.ok(informer.stats.watches >= 4, `watches: ${informer.stats.watches}`);
    assert.equal(informer.stats.lists, 1);
    await informer.stop();
  });

  it('follows bookmarks, so a quiet kind resumes after other kinds moved on without a 410', async () => {
    const { clock, client, informer } = setup();
    informer.start();
    await clock.step(0);
    for (let i = 0; i < 3; i++) await client.create('Node', { metadata: { name: `n${i}` } });
    await clock.step(5_000); // a bookmark
    assert.equal(informer.lastSyncResourceVersion, client.resourceVersion);
    client.faults.expireHistory('Pod');
    client.faults.dropWatches('Pod');
    await clock.step(2_000);
    assert.equal(informer.stats.relists, 0);
    assert.equal(informer.stats.lists, 1);
    await informer.stop();
  });

  it('resumes a dropped watch from the last version: changes made meanwhile arrive, no relist', async () => {
    const { clock, client, informer, rec } = setup();
    await client.create('Pod', pod('a'));
    informer.start();
    await clock.step(0);
    rec.take();
    client.faults.dropWatches('Pod');
    await client.create('Pod', pod('b'));
    await client.delete('Pod', 'a', 'default');
    await clock.step(1_000);
    assert.deepEqual(rec.take(), ['add b', 'delete a']);
    assert.equal(informer.stats.lists, 1);
    await informer.stop();
  });

  it('relists on 410 Gone and delivers the differences, deletions flagged as found by relist', async () => {
    const { clock, client, informer, rec, errors } = setup();
    await client.create('Pod', pod('stays'));
    await client.create('Pod', pod('changes'));
    await client.create('Pod', pod('goes'));
    informer.start();
    await clock.step(0);
    rec.take();
    client.faults.dropWatches('Pod');
    await client.patch('Pod', 'changes', { metadata: { labels: { v: '2' } } }, 'default');
    await client.delete('Pod', 'goes', 'default');
    await client.create('Pod', pod('new'));
    client.faults.expireHistory('Pod');
    await clock.step(1_000);
    assert.deepEqual(rec.take().sort(), ['add new', 'delete goes (relist)', 'update changes']);
    assert.equal(informer.stats.relists, 1);
    assert.equal(informer.stats.lists, 2);
    assert.ok(errors.some((e) => e.phase === 'watch' && /relisting/.test(e.message)));
    await client.create('Pod', pod('live'));
    await clock.step(0);
    assert.deepEqual(rec.take(), ['add live']);
    await informer.stop();
  });

  it('retries a failing list with exponential backoff on the clock', async () => {
    const clock = new VirtualClock();
    const client = new MemoryKubeClient({ clock });
    await client.create('Pod', pod('a'));
    let failuresLeft = 3;
    const flakyList: KubeClient['list'] = (kind, opts) =>
      (failuresLeft-- > 0 ? Promise.reject(new Error('connection refused')) : client.list(kind, opts));
    const flaky = new Proxy(client, {
      get: (target, prop) => (prop === 'list' ? flakyList : (Reflect.get(target, prop) as unknown as () => unknown).bind(target)),
    });
    const errors: InformerError[] = [];
    const informer = new Informer(flaky, 'Pod', { clock, backoff: { initialMs: 100, maxMs: 250 }, onError: (e) => errors.push(e) });
    informer.start();
    await clock.step(0);
    assert.equal(errors.length, 1);
    await clock.step(99);
    assert.equal(errors.length, 1, 'first retry after 100 ms');
    await clock.step(1);
    assert.equal(errors.length, 2);
    await clock.step(199);
    assert.equal(errors.length, 2, 'second retry after 200 ms');
    await clock.step(1);
    assert.equal(errors.length, 3);
    assert.equal(informer.hasSynced(), false);
    await clock.step(250);
    assert.equal(informer.hasSynced(), true, 'third retry capped at 250 ms, and it succeeds');
    assert.ok(errors.every((e) => e.phase === 'list' && e.kind === 'Pod' && /listing Pod: connection refused/.test(e.message)));
    await informer.stop();
    client.close();
  });

  it('backs off when watches keep ending at once instead of spinning', async () => {
    const { clock, client, informer } = setup({ backoff: { initialMs: 1_000, maxMs: 8_000 } });
    informer.start();
    await clock.step(0);
    const dropped: number[] = [];
    for (let t = 0; t < 20; t++) {
      dropped.push(client.faults.dropWatches('Pod'));
      await clock.step(500);
    }
    const watches = informer.stats.watches;
    assert.ok(watches <= 8, `watches opened in 10 s of instant drops: ${watches}`);
    assert.ok(dropped.filter((n) => n > 0).length >= 3);
    await informer.stop();
  });

  it('resyncs: every object again as an update with old === new', async () => {
    const { clock, client, informer, rec } = setup({ resyncPeriodMs: 60_000 });
    await client.create('Pod', pod('a'));
    await client.create('Pod', pod('b'));
    informer.start();
    await clock.step(0);
    rec.take();
    await clock.step(60_000);
    assert.deepEqual(rec.take().sort(), ['resync a', 'resync b']);
    await informer.stop();
  });

  it('keeps indexes current as pods are bound, moved and deleted', async () => {
    const { clock, client, informer } = setup();
    await client.create('Pod', pod('a', 'n1'));
    await client.create('Pod', pod('b'));
    informer.start();
    await clock.step(0);
    const names = (node: string): string[] => informer.byIndex(POD_NODE_NAME_INDEX, node).map((p) => p.metadata.name!).sort();
    assert.deepEqual(names('n1'), ['a']);
    await client.bind({ metadata: { name: 'b', namespace: 'default' } }, 'n1');
    await clock.step(0);
    assert.deepEqual(names('n1'), ['a', 'b']);
    await client.delete('Pod', 'a', 'default', { gracePeriodSeconds: 0 });
    await clock.step(0);
    assert.deepEqual(names('n1'), ['b']);
    assert.throws(() => informer.byIndex('nope', 'x'), UnknownIndexError);
    await informer.stop();
  });

  it('replays stored objects to a late handler; a throwing handler neither stops others nor the informer', async () => {
    const { clock, client, informer, rec, errors } = setup();
    await client.create('Pod', pod('a'));
    informer.start();
    await clock.step(0);
    rec.take();
    const late: string[] = [];
    const remove = informer.addHandler({ onAdd: (p, initial) => late.push(`${p.metadata.name!} ${initial}`) });
    informer.addHandler({ onAdd: () => { throw new Error('boom'); } });
    assert.deepEqual(late, ['a true']);
    await client.create('Pod', pod('b'));
    await clock.step(0);
    assert.deepEqual(late, ['a true', 'b false']);
    assert.deepEqual(rec.take(), ['add b']);
    assert.ok(errors.some((e) => e.phase === 'handler' && e.cause instanceof Error && e.cause.message === 'boom'));
    remove();
    await client.create('Pod', pod('c'));
    await clock.step(0);
    assert.equal(late.length, 2);
    await informer.stop();
  });

  it('stops: no more events, sync waiters rejected, open watches closed', async () => {
    const { clock, client, informer, rec } = setup();
    const never = informer.waitForSync();
    await informer.stop();
    await assert.rejects(never, /stopped/);
    assert.throws(() => informer.start(), /already stopped/);

    const s = setup();
    s.informer.start();
    await s.clock.step(0);
    assert.equal(s.client.openWatches('Pod'), 1);
    await s.informer.stop();
    assert.equal(s.client.openWatches('Pod'), 0);
    await s.client.create('Pod', pod('late'));
    await s.clock.step(1_000);
    assert.deepEqual(s.rec.take(), []);
    assert.deepEqual(rec.take(), []);
    void clock;
    void client;
  });
});
