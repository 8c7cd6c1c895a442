import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LabelSelector, Pod } from '../../apis/core.js';
import { node, pod } from '../../test/builders.js';
import { NodeLedger } from './node-ledger.js';
import { SchedulingQueue } from './scheduling-queue.js';

const names = (ps: { key: string }[]): string[] => ps.map((p) => p.key).sort();

describe('NodeLedger', () => {
  it('sums the requests of the pods that hold each node, through binds, finishes and deletes', () => {
    const l = new NodeLedger();
    l.setNode(node('a', { cpu: '4' }));
    const p1 = pod({ name: 'p1', cpu: '1', memory: '1Gi' });
    l.setPod(p1); // unbound: holds nothing
    assert.equal(l.podCount, 0);
    l.setPod({ ...p1, spec: { ...p1.spec, nodeName: 'a' } });
    l.setPod(pod({ name: 'p2', cpu: '500m', nodeName: 'a' }));
    assert.deepEqual(l.node('a')!.requested, { cpu: 1500, memory: 2 ** 30, pods: 2 });
    const finished: Pod = { ...pod({ name: 'p2', cpu: '500m', nodeName: 'a' }), status: { phase: 'Succeeded' } };
    l.setPod(finished);
    assert.deepEqual(l.node('a')!.requested, { cpu: 1000, memory: 2 ** 30, pods: 1 });
    const terminating: Pod = { ...p1, metadata: { ...p1.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' }, spec: { ...p1.spec, nodeName: 'a' } };
    l.setPod(terminating); // still holds its room until gone
    assert.equal(l.node('a')!.requested.cpu, 1000);
    l.removePod(terminating);
    assert.deepEqual(l.node('a')!.requested, { cpu: 0, memory: 0, pods: 0 });
  });

  it('keeps pods of a vanished node until they go, then forgets the node', () => {
    const l = new NodeLedger();
    l.setNode(node('a'));
    const p = pod({ name: 'p', cpu: '1', nodeName: 'a' });
    l.setPod(p);
    l.removeNode('a');
    assert.equal(l.node('a')?.node, undefined);
    assert.equal(l.node('a')?.pods.size, 1);
    l.removePod(p);
    assert.equal(l.node('a'), undefined);
    assert.equal(l.nodeCount, 0);
  });

  it('finds the pods a selector picks through its label index', () => {
    const l = new NodeLedger();
    l.setNode(node('a'));
    l.setPod(pod({ name: 'web-1', nodeName: 'a', labels: { app: 'web', tier: 'front' } }));
    l.setPod(pod({ name: 'web-2', nodeName: 'a', labels: { app: 'web', tier: 'back' } }));
    l.setPod(pod({ name: 'db', nodeName: 'a', labels: { app: 'db' } }));
    l.setPod(pod({ name: 'bare', nodeName: 'a' }));
    assert.deepEqual(names(l.podsSelectedBy({ matchLabels: { app: 'web', tier: 'back' } })), ['default/web-2']);
    assert.deepEqual(names(l.podsSelectedBy({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] })), ['default/db', 'default/web-1', 'default/web-2']);
    assert.deepEqual(names(l.podsSelectedBy({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] })), ['default/bare']);
    assert.deepEqual(names(l.podsSelectedBy({})), ['default/bare', 'default/db', 'default/web-1', 'default/web-2']);
    assert.deepEqual(l.podsSelectedBy(undefined), []);
    assert.deepEqual(l.podsSelectedBy({ matchLabels: { app: 'none' } }), []);
    // Relabelled pods move in the index.
    l.setPod(pod({ name: 'db', nodeName: 'a', labels: { app: 'web', tier: 'back' } }));
    assert.deepEqual(names(l.podsSelectedBy({ matchLabels: { tier: 'back' } })), ['default/db', 'default/web-2']);
  });

  it('moves a node\'s version when a pod joins, leaves or is relabelled, not on its status updates', () => {
    const l = new NodeLedger();
    l.setNode(node('a'));
    const version = (): number => l.node('a')!.version;
    const p = pod({ name: 'p', nodeName: 'a', labels: { app: 'web' } });
    let v = version();
    l.setPod(p);
    assert.ok(version() > v, 'joined');
    v = version();
    const running: Pod = { ...p, status: { phase: 'Running' } };
    l.setPod(running);
    assert.equal(version(), v, 'status update');
    assert.equal(l.node('a')!.pods.get('default/p')!.pod, running, 'the entry holds the latest object');
    l.setPod({ ...running, metadata: { ...running.metadata, labels: { app: 'db' } } });
    assert.ok(version() > v, 'relabelled');
    assert.deepEqual(names(l.podsSelectedBy({ matchLabels: { app: 'db' } })), ['default/p']);
    v = version();
    l.removePod(p);
    assert.ok(version() > v, 'left');
  });

  it('finds the pods a selector picks on one node among its pods, in the order it picks them in the whole ledger', () => {
    const selectors: (LabelSelector | undefined)[] = [
      undefined, {}, { matchLabels: { app: 'web' } }, { matchLabels: { app: 'web', tier: 'front' } },
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web', 'db'] }] },
      { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      { matchLabels: { tier: 'back' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] },
    ];
    const labelsGen = fc.record({ app: fc.constantFrom('web', 'db', 'api'), tier: fc.constantFrom('front', 'back') }, { requiredKeys: [] });
    const opGen = fc.record({ pod: fc.nat({ max: 9 }), node: fc.nat({ max: 2 }), labels: labelsGen, gone: fc.boolean() });
    fc.assert(fc.property(fc.array(opGen, { maxLength: 40 }), (ops) => {
      const l = new NodeLedger();
      for (const n of ['n0', 'n1', 'n2']) l.setNode(node(n));
      // Pods join, move, are relabelled and go.
      for (const op of ops) {
        const p = pod({ name: `p${op.pod}`, nodeName: `n${op.node}`, labels: op.labels });
        if (op.gone) l.removePod(p);
        else l.setPod(p);
      }
      for (const selector of selectors) {
        const all = l.podsSelectedBy(selector);
        for (const n of ['n0', 'n1', 'n2']) {
          assert.deepEqual(l.podsSelectedOn(l.node(n)!, selector).map((p) => p.key), all.filter((p) => p.nodeName === n).map((p) => p.key));
        }
      }
    }), { numRuns: 300, seed: 20251130 });
  });

  it('journals every entry whose version moves and every entry it forgets, and says when the journal no longer reaches back', () => {
    const l = new NodeLedger();
    const start = l.journalEnd;
    l.setNode(node('a'));
    l.setNode(node('b'));
    const p = pod({ name: 'p', nodeName: 'a' });
    l.setPod(p);
    l.setPod({ ...p, status: { phase: 'Running' } }); // no version move, not journaled
    const a = l.node('a')!;
    const b = l.node('b')!;
    assert.deepEqual(l.changedSince(start), [a, b, a]);
    const mid = l.journalEnd;
    l.removeNode('b'); // forgotten at once: no pods
    l.setPod(pod({ name: 'q', nodeName: 'c' })); // an entry for a node not seen yet
    const c = l.node('c')!;
    l.removeNode('a'); // kept for its pod, without a node
    l.removePod(p); // then forgotten
    assert.deepEqual(l.changedSince(mid), [b, c, a, a]);
    assert.equal(l.node('a'), undefined);
    assert.deepEqual(l.changedSince(l.journalEnd), []);
    assert.equal(l.changedSince(l.journalEnd + 1), undefined);
    for (let i = 0; i < 10_000; i++) l.setNode(node('d'));
    assert.equal(l.changedSince(start), undefined);
    const recent = l.journalEnd - 10;
    assert.deepEqual(l.changedSince(recent), Array.from({ length: 10 }, () => l.node('d')));
  });
});

describe('SchedulingQueue', () => {
  it('retries a failed pod after an event and its backoff (1 s doubling to 10 s), or after 5 minutes regardless', () => {
    const q = new SchedulingQueue();
    assert.equal(q.eligibleAt('p'), -Infinity);
    q.failed('p', 0, q.eventCount);
    assert.equal(q.eligibleAt('p'), 300_000, 'no event: only the flush');
    q.noteClusterEvent();
    assert.equal(q.eligibleAt('p'), 1_000);
    for (const [now, backoff] of [[1_000, 2_000], [3_000, 4_000], [7_000, 8_000], [15_000, 10_000], [25_000, 10_000]] as const) {
      q.failed('p', now, q.eventCount);
      q.noteClusterEvent();
      assert.equal(q.eligibleAt('p'), now + backoff);
    }
    q.forget('p');
    assert.equal(q.eligibleAt('p'), -Infinity);
  });
});
