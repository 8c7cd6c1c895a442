import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../apis/core.js';
import { isUnschedulable, poll, readyNodeNames, runsOn, until, WaitTimeoutError } from './cluster-waits.js';
import { kwokNodePool, pausePod, WHEN_EMPTY } from './kwok-cluster.js';
import { lostLines, notable } from './operator-process.js';

const node = (name: string, ready: boolean, providerID?: string): Node => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  spec: providerID ? { providerID } : {},
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('poll and until', () => {
  it('resolve with the first value that is not a string', async () => {
    let n = 0;
    assert.equal(await until('three calls', 5_000, () => Promise.resolve(++n >= 3 ? n : `call ${n}`), { intervalMs: 1 }), 3);
  });

  it('poll returns the last state seen once the time is up; until throws it with what was awaited and the context', async () => {
    assert.equal(await poll(20, () => Promise.resolve('never'), { intervalMs: 5 }), 'never');
    await assert.rejects(until('godot', 20, () => Promise.resolve('still waiting'), { intervalMs: 5, context: () => 'the log' }),
      (e: unknown) => e instanceof WaitTimeoutError && /waiting for godot; last seen: still waiting\nthe log$/.test(e.message));
  });

  it('end on an error of the check unless told to retry it', async () => {
    await assert.rejects(poll(1_000, () => Promise.reject(new Error('boom'))), /boom/);
    let n = 0;
    const v = await poll(1_000, () => (++n < 3 ? Promise.reject(new Error('boom')) : Promise.resolve(n)), { errors: 'retry', intervalMs: 1 });
    assert.equal(v, 3);
    assert.equal(await poll(10, () => Promise.reject(new Error('boom')), { errors: 'retry', intervalMs: 2 }), 'error: Error: boom');
  });
});

describe('node and pod predicates', () => {
  it('readyNodeNames keeps Ready nodes, only kwok ones when asked', () => {
    const nodes = [node('a', true, 'kwok://a'), node('b', false, 'kwok://b'), node('c', true, 'aws:///c'), node('d', true)];
    assert.deepEqual([...readyNodeNames(nodes, true)], ['a']);
    assert.deepEqual([...readyNodeNames(nodes, false)], ['a', 'c', 'd']);
  });

  it('runsOn needs Running on one of the nodes; isUnschedulable needs the scheduler mark', () => {
    const p = pausePod('p', 'default', 'web');
    assert.equal(runsOn(p, new Set(['a'])), false);
    const running: Pod = { ...p, spec: { ...p.spec, nodeName: 'a' }, status: { phase: 'Running' } };
    assert.equal(runsOn(running, new Set(['a'])), true);
    assert.equal(runsOn(running, new Set(['b'])), false);
    assert.equal(isUnschedulable(p), false);
    assert.equal(isUnschedulable({ ...p, status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } }), true);
  });
});

describe('fixtures', () => {
  it('pausePod requests 500m unless told, and keeps owner references', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true };
    const p = pausePod('p', 'ns', 'web', { cpu: '2', ownerReferences: [owner] });
    assert.deepEqual(p.metadata, { name: 'p', namespace: 'ns', labels: { app: 'web' }, ownerReferences: [owner] });
    assert.equal(p.spec?.containers[0]?.resources?.requests?.['cpu'], '2');
    assert.equal(pausePod('q', 'ns', 'web').spec?.containers[0]?.resources?.requests?.['cpu'], '500m');
  });

  it('kwokNodePool has the given disruption, or none', () => {
    assert.deepEqual(kwokNodePool(WHEN_EMPTY).spec.disruption, WHEN_EMPTY);
    assert.equal('disruption' in kwokNodePool().spec, false);
  });
});

describe('controller log digests', () => {
  const log = [
    '{"level":"info","msg":"started"}', '{"level":"warn","msg":"slow"}', '{"level":"info","msg":"lost leadership","reason":"x"}',
    '{"level":"error","msg":"lost leadership: renew timed out"}',
  ].join('\n');

  it('notable keeps the warn and error lines, then the last lines', () => {
    const [first, second, sep] = notable(log).split('\n');
    assert.deepEqual([first, second, sep], ['{"level":"warn","msg":"slow"}', '{"level":"error","msg":"lost leadership: renew timed out"}', '...']);
  });

  it('lostLines gives the messages of the lost-leadership lines', () => {
    assert.equal(lostLines(log), 'lost leadership; lost leadership: renew timed out');
  });
});
