import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../../apis/core.js';
import { VirtualClock } from '../../utils/clock.js';
import { isConflict, KubeError } from '../errors.js';
import { buildEvent, truncateUtf8 } from './event-recorder.js';
import { MemoryKubeClient } from './memory-client.js';

function setup(eventTtlMs?: number): { clock: VirtualClock; client: MemoryKubeClient } {
  const clock = new VirtualClock();
  return { clock, client: new MemoryKubeClient({ clock, freezeStored: true, ...(eventTtlMs !== undefined ? { eventTtlMs } : {}) }) };
}

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c' }] } });

describe('memory write faults', () => {
  it('fails the nth matching write once, with a Conflict by default', async () => {
    const { client } = setup();
    client.faults.failWrite({ nth: 2, verb: 'create', kind: 'Pod' });
    await client.create('Pod', pod('a'));
    await client.create('Node', { metadata: { name: 'n' } }); // another kind: not counted
    await client.patch('Pod', 'a', { metadata: { labels: { x: 'y' } } }); // another verb: not counted
    const e = await client.create('Pod', pod('b')).catch((x: unknown) => x);
    assert.ok(isConflict(e), String(e));
    assert.match(e.message, /injected fault/);
    await assert.rejects(client.get('Pod', 'b'), /not found/, 'the failed write changed nothing');
    await client.create('Pod', pod('b'));
  });

  it('throws the error it is given, and can be cleared', async () => {
    const { client } = setup();
    client.faults.failWrite({ error: (verb, kind, name) => new KubeError('InternalError', `etcd timeout on ${verb} ${kind} ${name}`) });
    await assert.rejects(client.create('Pod', pod('a')), /etcd timeout on create Pod a/);
    client.faults.failWrite({ nth: 1 });
    client.faults.clear();
    await client.create('Pod', pod('a'));
    assert.throws(() => client.faults.failWrite({ nth: 0 }), RangeError);
  });

  it('fires two faults due on the same write one after the other', async () => {
    const { client } = setup();
    client.faults.failWrite();
    client.faults.failWrite({ verb: 'create' });
    await assert.rejects(client.create('Pod', pod('a')), isConflict);
    await assert.rejects(client.create('Pod', pod('a')), isConflict);
    await client.create('Pod', pod('a'));
  });

  it('covers every write verb', async () => {
    const { client } = setup();
    const p = await client.create('Pod', pod('a'));
    const attempts: [string, () => Promise<unknown>][] = [
      ['update', () => client.update('Pod', p)],
      ['patch', () => client.patch('Pod', 'a', {})],
      ['patchStatus', () => client.patchStatus('Pod', 'a', {})],
      ['bind', () => client.bind(p, 'n')],
      ['evict', () => client.evict(p)],
      ['recordEvent', () => client.recordEvent({ regarding: { kind: 'Pod', name: 'a' }, type: 'Normal', reason: 'R', note: 'n' })],
      ['delete', () => client.delete('Pod', 'a')],
    ];
    for (const [verb, attempt] of attempts) {
      client.faults.failWrite({ verb: verb as never });
      await assert.rejects(attempt(), isConflict, verb);
    }
  });
});

describe('memory events', () => {
  it('builds an events.k8s.io/v1 Event with the fields the API server requires', () => {
    const e = buildEvent({ regarding: { kind: 'Node', name: 'n1' }, type: 'Warning', reason: 'DisruptionBlocked', note: 'é'.repeat(600) }, Date.UTC(2024, 0, 1, 0, 0, 0, 5));
    assert.equal(e.metadata.namespace, 'default', 'events about cluster-scoped objects go to default');
    assert.equal(e.metadata.generateName, 'n1.');
    assert.equal(e.eventTime, '2024-01-01T00:00:00.005000Z');
    assert.equal(e.action, 'DisruptionBlocked');
    assert.equal(e.reportingController, 'nodewright');
    assert.ok(Buffer.byteLength(e.note ?? '') <= 1024);
  });

  it('cuts a note to the same prefix as dropping one unit at a time until it fits', () => {
    const slow = (text: string, max: number): string => {
      let t = text;
      while (Buffer.byteLength(t) > max) t = t.slice(0, -1);
      return t;
    };
    // Mixed widths: ASCII, 2- and 3-byte characters, surrogate pairs, and lone surrogates.
    const unit = fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00', 'z');
    fc.assert(fc.property(fc.array(unit, { maxLength: 700 }).map((a) => a.join('')), fc.integer({ min: 0, max: 1100 }), (text, max) => {
      assert.equal(truncateUtf8(text, max), slow(text, max));
    }));
    assert.equal(truncateUtf8('x'.repeat(5000), 1024).length, 1024);
  });

  it('expires events after their TTL', async () => {
    const { clock, client } = setup(60_000);
    await client.recordEvent({ regarding: { kind: 'Pod', name: 'a', namespace: 'ns' }, type: 'Normal', reason: 'First', note: '' });
    await clock.step(30_000);
    await client.recordEvent({ regarding: { kind: 'Pod', name: 'a', namespace: 'ns' }, type: 'Normal', reason: 'Second', note: '' });
    const reasons = async (): Promise<string[]> => (await client.list('Event', { namespace: 'ns' })).items.map((e) => e.reason ?? '');
    assert.deepEqual(await reasons(), ['First', 'Second']);
    await clock.step(30_000);
    assert.deepEqual(await reasons(), ['Second']);
    await clock.step(30_000);
    assert.deepEqual(await reasons(), []);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('keeps events forever with a TTL of 0, and close() stops every timer it owns', async () => {
    const { clock, client } = setup(0);
    await client.recordEvent({ regarding: { kind: 'Pod', name: 'a' }, type: 'Normal', reason: 'Kept', note: '' });
    await clock.step(86_400_000);
    assert.equal(client.count('Event'), 1);
    const withTimers = setup();
    await withTimers.client.recordEvent({ regarding: { kind: 'Pod', name: 'a' }, type: 'Normal', reason: 'R', note: '' });
    await withTimers.client.create('Pod', { ...pod('p'), spec: { containers: [{ name: 'c' }], nodeName: 'n' } });
    await withTimers.client.delete('Pod', 'p');
    void withTimers.client.watch('Pod', { allowBookmarks: true, timeoutSeconds: 600 });
    assert.ok(withTimers.clock.pendingTimers() >= 3);
    withTimers.client.close();
    assert.equal(withTimers.clock.pendingTimers(), 0);
  });
});
