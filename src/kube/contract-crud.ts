/**
 * Contract: create/get/list/update/patch/delete, conflicts, the status subresource, finalizers,
 * delete preconditions and Events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MakeHarness } from './contract-support.js';
import { nodeSpec, podSpec, rejectsWith, withCluster } from './contract-support.js';

export function crudContract(make: MakeHarness): void {
  void describe('objects', () => {
    void it('creates, gets, updates, lists and deletes, with server-set metadata', () => withCluster(make, async ({ client, ns }) => {
      const created = await client.create('Pod', podSpec('web', ns, { app: 'web' }));
      assert.equal(created.metadata.name, 'web');
      assert.equal(created.metadata.namespace, ns);
      assert.ok(created.metadata.uid, 'uid set');
      assert.ok(created.metadata.resourceVersion, 'resourceVersion set');
      assert.match(created.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(created.status?.phase, 'Pending');
      const got = await client.get('Pod', 'web', ns);
      assert.deepEqual(got.metadata.uid, created.metadata.uid);

      got.metadata.labels = { app: 'web', tier: 'front' };
      const updated = await client.update('Pod', got);
      assert.equal(updated.metadata.labels?.tier, 'front');
      assert.notEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion);

      const list = await client.list('Pod', { namespace: ns });
      assert.deepEqual(list.items.map((p) => p.metadata.name), ['web']);
      assert.ok(list.resourceVersion);

      await client.delete('Pod', 'web', ns);
      await rejectsWith(client.get('Pod', 'web', ns), 'NotFound', 404);
    }));

    void it('hands out copies: mutating a result or an input changes nothing stored', () => withCluster(make, async ({ client, ns }) => {
      const input = podSpec('copy', ns, { a: '1' });
      const created = await client.create('Pod', input);
      input.metadata.labels!.a = 'changed-input';
      created.metadata.labels!.a = 'changed-output';
      assert.equal((await client.get('Pod', 'copy', ns)).metadata.labels?.a, '1');
    }));

    void it('refuses a duplicate name with AlreadyExists and reports a missing object as NotFound', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('dup', ns));
      await rejectsWith(client.create('Pod', podSpec('dup', ns)), 'AlreadyExists', 409);
      await rejectsWith(client.get('Pod', 'absent', ns), 'NotFound');
      await rejectsWith(client.patch('Pod', 'absent', { metadata: { labels: { a: 'b' } } }, ns), 'NotFound');
      await rejectsWith(client.delete('Pod', 'absent', ns), 'NotFound');
    }));

    void it('generates unique names from generateName', () => withCluster(make, async ({ client, ns }) => {
      const a = await client.create('Pod', { ...podSpec('', ns), metadata: { generateName: 'gen-', namespace: ns } });
      const b = await client.create('Pod', { ...podSpec('', ns), metadata: { generateName: 'gen-', namespace: ns } });
      assert.match(a.metadata.name ?? '', /^gen-[a-z0-9]{5}$/);
      assert.notEqual(a.metadata.name, b.metadata.name);
    }));

    void it('rejects an update from a stale resourceVersion with Conflict', () => withCluster(make, async ({ client, ns }) => {
      const v1 = await client.create('Pod', podSpec('race', ns));
      const first = structuredClone(v1);
      first.metadata.labels = { writer: 'first' };
      await client.update('Pod', first);
      const second = structuredClone(v1);
      second.metadata.labels = { writer: 'second' };
      await rejectsWith(client.update('Pod', second), 'Conflict', 409);
      await rejectsWith(client.patch('Pod', 'race', { metadata: { resourceVersion: v1.metadata.resourceVersion!, labels: { writer: 'third' } } }, ns), 'Conflict');
      assert.equal((await client.get('Pod', 'race', ns)).metadata.labels?.writer, 'first');
    }));

    void it('applies JSON merge patches: nested merge, null removes, arrays replace', () => withCluster(make, async ({ client, unique, track }) => {
      const name = unique('merge');
      track('Node', name);
      await client.create('Node', { metadata: { name, labels: { keep: 'yes', drop: 'yes' } }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } });
      const patched = await client.patch('Node', name, {
        metadata: { labels: { drop: null, added: 'yes' } },
        spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
      });
      assert.deepEqual(patched.metadata.labels, { keep: 'yes', added: 'yes' });
      assert.deepEqual(patched.spec?.taints?.map((t) => t.key), ['b']);
    }));

    void it('lists by label selector and by spec.nodeName', () => withCluster(make, async ({ client, ns }) => {
      await client.create('Pod', podSpec('a', ns, { app: 'x' }, 'node-1'));
      await client.create('Pod', podSpec('b', ns, { app: 'y' }, 'node-1'));
      await client.create('Pod', podSpec('c', ns, { app: 'x' }));
      const names = (r: { items: { metadata: { name?: string } }[] }): string[] => r.items.map((p) => p.metadata.name ?? '').sort();
      assert.deepEqual(names(await client.list('Pod', { namespace: ns, labelSelector: { matchLabels: { app: 'x' } } })), ['a', 'c']);
      assert.deepEqual(names(await client.list('Pod', { namespace: ns, labelSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['x'] }] } })), ['b']);
      assert.deepEqual(names(await client.list('Pod', { namespace: ns, fieldSelector: { 'spec.nodeName': 'node-1' } })), ['a', 'b']);
      assert.deepEqual(names(await client.list('Pod', { namespace: ns, fieldSelector: { 'spec.nodeName': '' } })), ['c']);
    }));
  });

  void describe('status subresource', () => {
    void it('patchStatus changes only status; patch and update leave status alone', () => withCluster(make, async ({ client, unique, track }) => {
      const name = unique('status');
      track('Node', name);
      await client.create('Node', nodeSpec(name));
      // Only spec is probed here: built-in kinds differ on whether a status write may touch labels.
      const s = await client.patchStatus('Node', name, {
        spec: { unschedulable: true },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      });
      assert.equal(s.status?.conditions?.[0]?.status, 'True');
      assert.equal(s.spec?.unschedulable, undefined);

      const p = await client.patch('Node', name, { spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } });
      assert.equal(p.spec?.unschedulable, true);
      assert.equal(p.status?.conditions?.[0]?.status, 'True');

      p.status = { conditions: [] };
      p.metadata.labels = { via: 'update' };
      const u = await client.update('Node', p);
      assert.equal(u.metadata.labels?.via, 'update');
      assert.equal(u.status?.conditions?.[0]?.status, 'True');
    }));
  });

  void describe('deletion', () => {
    void it('holds an object with finalizers until the last one is removed', () => withCluster(make, async ({ client, unique, track }) => {
      const name = unique('final');
      track('Node', name);
      await client.create('Node', { metadata: { name, finalizers: ['example.com/a', 'example.com/b'] } });
      await client.delete('Node', name);
      const terminating = await client.get('Node', name);
      assert.ok(terminating.metadata.deletionTimestamp, 'deletionTimestamp set');
      await rejectsWith(client.patch('Node', name, { metadata: { finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } }), 'Invalid', 422);
      await client.delete('Node', name); // again: still waiting, no error
      await client.patch('Node', name, { metadata: { finalizers: ['example.com/b'] } });
      assert.ok((await client.get('Node', name)).metadata.deletionTimestamp);
      await client.patch('Node', name, { metadata: { finalizers: null } });
      await rejectsWith(client.get('Node', name), 'NotFound');
    }));

    void it('honours uid and resourceVersion preconditions', () => withCluster(make, async ({ client, ns }) => {
      const p = await client.create('Pod', podSpec('pre', ns));
      await rejectsWith(client.delete('Pod', 'pre', ns, { preconditions: { uid: '00000000-0000-4000-8000-000000000000' } }), 'Conflict', 409);
      await client.patch('Pod', 'pre', { metadata: { labels: { touched: 'yes' } } }, ns);
      await rejectsWith(client.delete('Pod', 'pre', ns, { preconditions: { resourceVersion: p.metadata.resourceVersion! } }), 'Conflict');
      await client.delete('Pod', 'pre', ns, { preconditions: { uid: p.metadata.uid! } });
      await rejectsWith(client.get('Pod', 'pre', ns), 'NotFound');
    }));
  });

  void describe('events', () => {
    void it('records an Event about an object', () => withCluster(make, async ({ client, ns }) => {
      const pod = await client.create('Pod', podSpec('evented', ns));
      await client.recordEvent({
        regarding: { kind: 'Pod', name: 'evented', namespace: ns, uid: pod.metadata.uid!, apiVersion: 'v1' },
        type: 'Normal', reason: 'Nominated', note: 'Pod should schedule on: nodeclaim/default-abcde',
      });
      const events = (await client.list('Event', { namespace: ns })).items;
      const e = events.find((x) => x.regarding?.name === 'evented');
      assert.ok(e, 'event listed');
      assert.equal(e.reason, 'Nominated');
      assert.equal(e.type, 'Normal');
      assert.match(e.note ?? '', /nodeclaim\/default-abcde/);
    }));
  });
}
