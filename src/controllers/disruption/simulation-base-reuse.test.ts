import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod, solverNode } from '../../test/builders.js';
import { keptList, reducedNode, signatureOf } from './simulation-base-reuse.js';

describe('simulation base reuse', () => {
  const n = solverNode('n', { zone: 'zone-a', bound: [pod({ name: 'a' }), pod({ name: 'b' })] });

  it('hands back the last kept list while it holds the same pods, a new one otherwise', () => {
    const first = keptList(n.pods, n.pods.slice(0, 1));
    assert.equal(keptList(n.pods, n.pods.slice(0, 1)), first);
    const other = n.pods.slice(1);
    assert.equal(keptList(n.pods, other), other);
    assert.equal(keptList(n.pods, n.pods.slice(1)), other);
  });

  it('hands back the last reduced node while its pods and room are the same', () => {
    const kept = n.pods.slice(0, 1);
    const r = reducedNode(n, kept, { cpu: 1, memory: 2 });
    assert.deepEqual({ ...r, pods: r.pods.length }, { ...n, allocatable: { cpu: 1, memory: 2 }, pods: 1 });
    assert.equal(reducedNode(n, kept, { memory: 2, cpu: 1 }), r);
    assert.notEqual(reducedNode(n, kept, { cpu: 1, memory: 3 }), r);
    assert.notEqual(reducedNode(n, kept, { cpu: 1, memory: 2, pods: 1 }), reducedNode(n, kept, { cpu: 1, memory: 2 }));
    assert.notEqual(reducedNode(n, n.pods.slice(0, 1), { cpu: 1, memory: 2 }).pods, kept);
  });

  it('makes the signature of the node\'s values for the keys and its taints, again for other keys or taints', () => {
    const keys = ['topology.kubernetes.io/zone', 'x'];
    assert.equal(signatureOf(n, keys, JSON.stringify(keys)), JSON.stringify([['zone-a', null], []]));
    assert.equal(signatureOf(n, ['x'], '["x"]'), JSON.stringify([[null], []]));
    const tainted = { ...n, taints: [{ key: 'k', effect: 'NoSchedule' }] };
    assert.equal(signatureOf(tainted, ['x'], '["x"]'), JSON.stringify([[null], tainted.taints]));
  });
});
