import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { VirtualClock } from '../../utils/clock.js';
import { isGone, KubeError } from '../errors.js';
import type { WatchEvent, WatchStream } from '../types.js';
import type { MemoryKubeClientOptions } from './memory-client.js';
import { MemoryKubeClient } from './memory-client.js';

function setup(opts: Partial<MemoryKubeClientOptions> = {}): { clock: VirtualClock; client: MemoryKubeClient } {
  const clock = new VirtualClock();
  return { clock, client: new MemoryKubeClient({ clock, freezeStored: true, ...opts }) };
}

const pod = (name: string, nodeName?: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c' }], ...(nodeName ? { nodeName } : {}) },
});

/** Events already queued on the stream (it must not be waiting on anything). */
async function queued<T>(stream: WatchStream<T>, n: number): Promise<WatchEvent<T>[]> {
  const it = stream[Symbol.asyncIterator]();
  const out: WatchEvent<T>[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const label = (e: WatchEvent<Pod>): string => (e.type === 'BOOKMARK' ? `BOOKMARK ${e.resourceVersion}` : `${e.type} ${e.object.metadata.name ?? ''}`);

async function firstError(stream: WatchStream<unknown>): Promise<unknown> {
  try {
    for await (const _ of stream) { /* drain */ }
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('memory watch', () => {
  it('answers 410 Gone for a version older than the kept history', async () => {
    const { client } = setup({ historyLimit: 3 });
    const { resourceVersion } = await client.list('Pod');
    for (let i = 0; i < 5; i++) await client.create('Pod', pod(`p${i}`));
    const e = await firstError(client.watch('Pod', { resourceVersion }));
    assert.ok(isGone(e), `expected Gone, got ${String(e)}`);
    assert.equal((e).code, 410);
    const fresh = await client.list('Pod');
    await client.create('Pod', pod('after'));
    assert.deepEqual((await queued(client.watch<'Pod'>('Pod', { resourceVersion: fresh.resourceVersion }), 1)).map(label), ['ADDED after']);
  });

  it('answers Gone after history is expired on purpose, and for a version from the future', async () => {
    const { client } = setup();
    const { resourceVersion } = await client.list('Pod');
    await client.create('Pod', pod('a'));
    client.faults.expireHistory('Pod');
    assert.ok(isGone(await firstError(client.watch('Pod', { resourceVersion }))));
    assert.ok(isGone(await firstError(client.watch('Pod', { resourceVersion: '999999' }))));
    const bad = await firstError(client.watch('Pod', { resourceVersion: 'abc' }));
    assert.ok(bad instanceof KubeError && bad.reason === 'BadRequest');
  });

  it('surfaces an unsupported field selector from the stream', async () => {
    const { client } = setup();
    const e = await firstError(client.watch('Node', { fieldSelector: { 'spec.nodeName': 'x' } }));
    assert.ok(e instanceof KubeError && e.reason === 'BadRequest', String(e));
    await assert.rejects(client.list('Node', { fieldSelector: { 'spec.nodeName': 'x' } }), /not supported/);
    await assert.rejects(client.list('Pod', { labelSelector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } }), /invalid label selector/);
  });

  it('sends bookmarks at the configured interval, only to watches that ask', async () => {
    const { clock, client } = setup({ bookmarkIntervalMs: 1_000 });
    const marked = client.watch<'Pod'>('Pod', { resourceVersion: '0', allowBookmarks: true });
    const plain = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    await clock.step(1_500);
    await client.create('Pod', pod('a'));
    await clock.step(1_600);
    assert.deepEqual((await queued(marked, 3)).map(label), ['BOOKMARK 1', 'ADDED a', 'BOOKMARK 2']);
    await client.create('Pod', pod('b'));
    assert.deepEqual((await queued(plain, 2)).map(label), ['ADDED a', 'ADDED b']);
    client.close();
  });

  it('ends a watch at its timeout, cancelling its timers', async () => {
    const { clock, client } = setup();
    const stream = client.watch('Pod', { allowBookmarks: true, timeoutSeconds: 10 });
    assert.equal(client.openWatches('Pod'), 1);
    const events = (async () => {
      const out: string[] = [];
      for await (const e of stream) out.push(e.type);
      return out;
    })();
    await clock.step(10_000);
    assert.deepEqual(await events, ['BOOKMARK'], 'one bookmark 2 s before the timeout');
    assert.equal(client.openWatches(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('unregisters a watch whose consumer breaks out', async () => {
    const { clock, client } = setup();
    await client.create('Pod', pod('a'));
    for await (const e of client.watch('Pod', { allowBookmarks: true })) {
      assert.equal(e.type, 'ADDED');
      break;
    }
    assert.equal(client.openWatches(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('drops watches on demand; resuming from the last version loses nothing', async () => {
    const { client } = setup();
    const w = client.watch<'Pod'>('Pod', { resourceVersion: (await client.list('Pod')).resourceVersion });
    await client.create('Pod', pod('a'));
    const [first] = await queued(w, 1);
    assert.equal(client.faults.dropWatches('Pod'), 1);
    assert.equal(client.faults.dropWatches('Pod'), 0);
    assert.deepEqual(await queued(w, 1), [], 'the dropped stream has ended');
    await client.create('Pod', pod('b'));
    const rv = first!.type === 'BOOKMARK' ? '' : first!.object.metadata.resourceVersion;
    assert.deepEqual((await queued(client.watch<'Pod'>('Pod', { resourceVersion: rv }), 1)).map(label), ['ADDED b']);
  });

  it('drops a consumer that falls too far behind, after what was queued', async () => {
    const { client } = setup({ maxWatchQueue: 2 });
    const w = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    for (const n of ['a', 'b', 'c']) await client.create('Pod', pod(n));
    assert.deepEqual((await queued(w, 5)).map(label), ['ADDED a', 'ADDED b']);
    assert.equal(client.openWatches(), 0);
  });

  it('serves watches by spec.nodeName: a pod arrives when bound and leaves when deleted', async () => {
    const { client } = setup();
    const rv = (await client.list('Pod')).resourceVersion;
    const n1 = client.watch<'Pod'>('Pod', { resourceVersion: rv, fieldSelector: { 'spec.nodeName': 'n1' } });
    const unbound = client.watch<'Pod'>('Pod', { resourceVersion: rv, fieldSelector: { 'spec.nodeName': '' } });
    const p = await client.create('Pod', pod('p'));
    await client.create('Pod', pod('elsewhere', 'n2'));
    await client.bind(p, 'n1');
    await client.patch('Pod', 'p', { metadata: { labels: { x: 'y' } } });
    await client.delete('Pod', 'p', undefined, { gracePeriodSeconds: 0 });
    assert.deepEqual((await queued(n1, 3)).map(label), ['ADDED p', 'MODIFIED p', 'DELETED p']);
    assert.deepEqual((await queued(unbound, 2)).map(label), ['ADDED p', 'DELETED p']);
    client.close();
  });

  it('delivers copies, and a DELETED event carries the deletion version', async () => {
    const { client } = setup();
    const w = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    await client.create('Pod', pod('a'));
    await client.delete('Pod', 'a');
    const [added, deleted] = await queued(w, 2);
    assert.ok(added && added.type === 'ADDED' && deleted && deleted.type === 'DELETED');
    added.object.metadata.name = 'mutated';
    assert.equal(deleted.object.metadata.name, 'a');
    assert.equal(deleted.object.metadata.resourceVersion, client.resourceVersion);
    assert.ok(Number(deleted.object.metadata.resourceVersion) > Number(added.object.metadata.resourceVersion));
  });

  it('shares the stored objects when asked: every watcher gets the same frozen object', async () => {
    const { client } = setup({ shareWatchObjects: true });
    const a = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    const b = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    await client.create('Pod', pod('p'));
    const [fromA] = await queued(a, 1);
    const [fromB] = await queued(b, 1);
    assert.ok(fromA && fromA.type === 'ADDED' && fromB && fromB.type === 'ADDED');
    assert.equal(fromA.object, fromB.object);
    assert.ok(Object.isFrozen(fromA.object.metadata));
    assert.throws(() => {
      fromA.object.metadata.name = 'mutated';
    }, TypeError);
    client.close();
  });

  it('shares what a shared copy of the next version did not change with the copy before it', async () => {
    const { client } = setup({ shareWatchObjects: true });
    const w = client.watch<'Pod'>('Pod', { resourceVersion: '0' });
    await client.create('Pod', { ...pod('p'), metadata: { name: 'p', namespace: 'default', labels: { app: 'a' } } });
    await client.patchStatus('Pod', 'p', { status: { phase: 'Running' } });
    await client.patch('Pod', 'p', { metadata: { labels: { app: 'b' } } });
    await client.delete('Pod', 'p');
    const [added, running, relabelled, deleted] = (await queued(w, 4)).map((e) => (e.type === 'BOOKMARK' ? assert.fail('no bookmark') : e.object));
    assert.equal(running!.spec, added!.spec, 'spec untouched by the status patch');
    assert.notEqual(running!.status, added!.status);
    assert.equal(running!.status?.phase, 'Running');
    assert.equal(relabelled!.status, running!.status, 'status untouched by the label patch');
    assert.notEqual(relabelled!.metadata.labels, running!.metadata.labels);
    assert.deepEqual(relabelled!.metadata.labels, { app: 'b' });
    assert.equal(deleted!.spec, added!.spec);
    assert.equal(deleted!.metadata.resourceVersion, client.resourceVersion);
    assert.ok(Object.isFrozen(relabelled!.metadata));
    // Private copies (the default) share nothing.
    const { client: other } = setup();
    const v = other.watch<'Pod'>('Pod', { resourceVersion: '0' });
    await other.create('Pod', pod('q'));
    await other.patchStatus('Pod', 'q', { status: { phase: 'Running' } });
    const [first, second] = await queued(v, 2);
    assert.ok(first?.type === 'ADDED' && second?.type === 'MODIFIED');
    assert.notEqual(first.object.spec, second.object.spec);
    client.close();
    other.close();
  });

  it('refuses a second concurrent next() on one stream', async () => {
    const { client } = setup();
    const it = client.watch('Pod')[Symbol.asyncIterator]();
    const first = it.next();
    await assert.rejects(it.next(), /called again/);
    client.close();
    assert.deepEqual(await first, { done: true, value: undefined });
  });
});
