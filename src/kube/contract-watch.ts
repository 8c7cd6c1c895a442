/**
 * Contract: list+watch continuity from a list's resourceVersion, initial events, selectors,
 * bookmarks, timeouts and abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../apis/core.js';
import type { MakeHarness } from './contract-support.js';
import { podSpec, WatchReader, withCluster } from './contract-support.js';
import { isGone } from './errors.js';
import type { WatchEvent } from './types.js';

type Change<T> = Exclude<WatchEvent<T>, { type: 'BOOKMARK' }>;

const describeChange = (ev: Change<Pod>): string => `${ev.type} ${ev.object.metadata.name ?? ''}`;

/**
 * Deleting a pod on a real API server is a graceful deletion even when it completes at once (an
 * unscheduled pod gets grace period 0): the server first writes the deletionTimestamp (MODIFIED),
 * then removes the object (DELETED). The memory client removes it in one step. Both guarantee
 * DELETED as the last event of the object, and nothing but that mark in between.
 */
const isDeletionMark = (ev: Change<Pod>): boolean => ev.type === 'MODIFIED' && !!ev.object.metadata.deletionTimestamp;

/** The next change of the watch, passing over at most one deletion mark of the same pod. */
async function nextChangeOverDeletionMark(w: WatchReader<Pod>, what?: string): Promise<Change<Pod>> {
  const ev = await w.nextChange(what);
  if (!isDeletionMark(ev)) return ev;
  const after = await w.nextChange(what);
  assert.equal(describeChange(after), `DELETED ${ev.object.metadata.name ?? ''}`, 'a deletion mark is followed by the DELETED event');
  return after;
}

export function watchContract(make: MakeHarness): void {
  void describe('watch', () => {
    void it('continues a list: every change after its resourceVersion, in order, nothing before', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('before', ns));
      const list = await client.list('Pod', { namespace: ns });
      await client.create('Pod', podSpec('a', ns));
      await client.patch('Pod', 'a', { metadata: { labels: { step: '2' } } }, ns);
      await client.delete('Pod', 'a', ns);
      await client.create('Pod', podSpec('b', ns));
      const w = new WatchReader(client.watch('Pod', { namespace: ns, resourceVersion: list.resourceVersion }));
      try {
        const seen: Change<Pod>[] = [];
        for (let i = 0; i < 4; i++) seen.push(await nextChangeOverDeletionMark(w));
        assert.deepEqual(seen.map(describeChange), ['ADDED a', 'MODIFIED a', 'DELETED a', 'ADDED b']);
        assert.equal(seen[1]!.object.metadata.labels?.step, '2');
        const rvs = seen.map((e) => BigInt(e.object.metadata.resourceVersion ?? '0'));
        for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! > rvs[i - 1]!, 'resourceVersions increase');
        await client.create('Pod', podSpec('live', ns));
        assert.equal(describeChange(await w.nextChange('the live ADDED')), 'ADDED live');
      } finally {
        await w.close();
      }
    }));

    void it('starts with the current objects when no resourceVersion is given', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('x', ns));
      await client.create('Pod', podSpec('y', ns));
      const w = new WatchReader(client.watch('Pod', { namespace: ns }));
      try {
        const initial = [await w.nextChange(), await w.nextChange()];
        assert.deepEqual(initial.map(describeChange).sort(), ['ADDED x', 'ADDED y']);
        await client.delete('Pod', 'x', ns);
        assert.equal(describeChange(await nextChangeOverDeletionMark(w)), 'DELETED x');
      } finally {
        await w.close();
      }
    }));

    void it('reports objects entering and leaving a selector as ADDED and DELETED', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('mover', ns, { app: 'x' }));
      const list = await client.list('Pod', { namespace: ns });
      const w = new WatchReader(client.watch('Pod', { namespace: ns, resourceVersion: list.resourceVersion, labelSelector: { matchLabels: { app: 'x' } } }));
      try {
        await client.patch('Pod', 'mover', { metadata: { labels: { app: 'y' } } }, ns);
        const left = await w.nextChange();
        assert.equal(describeChange(left), 'DELETED mover');
        assert.equal(left.object.metadata.labels?.app, 'x', 'the last state the selector matched');
        const now = await client.get('Pod', 'mover', ns);
        assert.equal(left.object.metadata.resourceVersion, now.metadata.resourceVersion, 'at the version of the change');
        await client.patch('Pod', 'mover', { metadata: { labels: { app: 'x' } } }, ns);
        assert.equal(describeChange(await w.nextChange()), 'ADDED mover');
      } finally {
        await w.close();
      }
    }));

    void it('watches a cluster-scoped kind by metadata.name', () => withCluster(make, async ({ client, unique, track }) => {
      const name = unique('watched');
      const other = unique('other');
      track('Node', name);
      track('Node', other);
      const w = new WatchReader(client.watch('Node', { fieldSelector: { 'metadata.name': name }, resourceVersion: (await client.list('Node')).resourceVersion }));
      try {
        await client.create('Node', { metadata: { name: other } });
        await client.create('Node', { metadata: { name } });
        const ev = await w.nextChange();
        assert.equal(ev.type, 'ADDED');
        assert.equal(ev.object.metadata.name, name);
      } finally {
        await w.close();
      }
    }));

    // A real API server sends a bookmark only when it carries news: a version past the last event
    // the watch delivered (Kubernetes promises no bookmark otherwise). So the watch is shown one
    // pod and not another; the bookmark is how it learns it is past the one it was not shown.
    void it('sends a bookmark before the timeout covering a change it did not show, then ends', () => withCluster(make, async ({ client, ns, wait }) => {
      const list = await client.list('Pod', { namespace: ns });
      const w = new WatchReader(client.watch('Pod', {
        namespace: ns, resourceVersion: list.resourceVersion, labelSelector: { matchLabels: { shown: 'yes' } }, allowBookmarks: true, timeoutSeconds: 5,
      }));
      await client.create('Pod', podSpec('shown', ns, { shown: 'yes' }));
      assert.equal(describeChange(await w.nextChange()), 'ADDED shown');
      const unseen = await client.create('Pod', podSpec('unseen', ns));
      const rest = (async () => {
        const events: WatchEvent<Pod>[] = [];
        for (let ev = await w.next('a bookmark or the end'); ev; ev = await w.next('a bookmark or the end')) events.push(ev);
        return events;
      })();
      await wait(6_000);
      const events = await rest;
      assert.deepEqual(events.filter((e) => e.type !== 'BOOKMARK'), [], 'the unselected pod is not shown');
      const bookmark = events.find((e) => e.type === 'BOOKMARK');
      assert.ok(bookmark && bookmark.type === 'BOOKMARK', `a bookmark arrives (got ${events.map((e) => e.type).join(', ') || 'nothing'})`);
      const unseenVersion = unseen.metadata.resourceVersion;
      assert.ok(unseenVersion);
      assert.ok(BigInt(bookmark.resourceVersion) >= BigInt(unseenVersion), 'the bookmark is past the change not shown');
    }));

    void it('answers 410 Gone for a version older than the history kept', () => withCluster(make, async ({ client, ns, expireHistory }) => {
      await client.create('Pod', podSpec('old', ns));
      await expireHistory();
      const w = new WatchReader(client.watch('Pod', { namespace: ns, resourceVersion: '1' }));
      const e = await w.next('410 Gone').then(() => undefined, (x: unknown) => x);
      assert.ok(isGone(e), `expected a Gone KubeError, got ${String(e)}`);
      assert.equal(e.code, 410);
    }));

    void it('ends the stream normally when its signal aborts', () => withCluster(make, async ({ client, ns }) => {
      const ac = new AbortController();
      const w = new WatchReader(client.watch('Pod', { namespace: ns, resourceVersion: (await client.list('Pod', { namespace: ns })).resourceVersion, signal: ac.signal }));
      const ended = w.next('the end of the stream');
      ac.abort();
      assert.equal(await ended, undefined);
    }));
  });
}
