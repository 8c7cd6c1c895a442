import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { VirtualClock } from '../../utils/clock.js';
import { isGone } from '../errors.js';
import type { KubeClient } from '../types.js';
import { MemoryKubeClient } from './memory-client.js';

/**
 * The loop an informer runs (list, watch from the list's version, re-watch from the last version
 * seen when the stream ends, relist on Gone), kept minimal, to check the memory client's watch
 * machinery end to end on virtual time.
 */
async function mirror(client: KubeClient, cache: Map<string, string>, signal: AbortSignal, stats: { relists: number; rewatches: number }): Promise<void> {
  let rv = '';
  while (!signal.aborted) {
    if (!rv) {
      const list = await client.list('Pod');
      cache.clear();
      for (const p of list.items) cache.set(p.metadata.name!, p.metadata.resourceVersion!);
      rv = list.resourceVersion;
      stats.relists++;
    }
    try {
      for await (const ev of client.watch('Pod', { resourceVersion: rv, allowBookmarks: true, timeoutSeconds: 300, signal })) {
        if (ev.type === 'BOOKMARK') rv = ev.resourceVersion;
        else {
          rv = ev.object.metadata.resourceVersion!;
          if (ev.type === 'DELETED') cache.delete(ev.object.metadata.name!);
          else cache.set(ev.object.metadata.name!, rv);
        }
      }
      stats.rewatches++;
    } catch (e) {
      if (!isGone(e)) throw e;
      rv = '';
    }
  }
}

describe('a list-watch loop on the memory client', () => {
  it('mirrors the store through timeouts, dropped connections and expired history', async () => {
    const clock = new VirtualClock();
    const client = new MemoryKubeClient({ clock, historyLimit: 50, bookmarkIntervalMs: 60_000 });
    const cache = new Map<string, string>();
    const stats = { relists: 0, rewatches: 0 };
    const ac = new AbortController();
    const loop = mirror(client, cache, ac.signal, stats);
    let n = 0;
    // A write every 7 s for an hour: creates, relabels, deletes; faults every 10 minutes.
    const churn = async (): Promise<void> => {
      for (let t = 0; t < 3600; t += 7) {
        await clock.sleep(7_000);
        const name = `p${n % 40}`;
        const existing = await client.get('Pod', name).catch(() => undefined);
        if (n % 86 === 0) client.faults.dropWatches();
        // The memory client commits synchronously: this write lands before the watcher can resume,
        // and expiring history right after it leaves the watcher's version behind: Gone.
        const write = !existing
          ? client.create('Pod', { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c' }] } } satisfies Pod)
          : n % 3 === 0 ? client.delete('Pod', name) : client.patch('Pod', name, { metadata: { labels: { n: String(n) } } });
        if (n % 172 === 0) client.faults.expireHistory();
        await write;
        n++;
      }
    };
    const writes = churn();
    await clock.step(3_610_000); // the last write happens at 3605 s
    await writes;
    // A final change made while the watch is down must arrive through the resumed watch.
    client.faults.dropWatches();
    await client.create('Pod', { metadata: { name: 'final', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } });
    await clock.step(1_000);
    assert.ok(cache.has('final'), 'the resumed watch replays what happened while it was down');
    const truth = new Map((await client.list('Pod')).items.map((p) => [p.metadata.name!, p.metadata.resourceVersion!]));
    assert.deepEqual(cache, truth);
    assert.ok(stats.rewatches >= 12, `re-watched after timeouts and drops (${stats.rewatches})`);
    assert.ok(stats.relists >= 2, `relisted after Gone (${stats.relists})`);
    ac.abort();
    await loop;
    client.close();
  });
});
