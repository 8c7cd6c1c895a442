import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import { MemoryKubeClient } from './memory-client.js';

describe('memory client at scale', () => {
  it('keeps writes and indexed lists cheap with 20k pods, a budget over all of them and 200 node watches', async () => {
    const clock = new VirtualClock();
    const client = new MemoryKubeClient({ clock });
    await client.create('PodDisruptionBudget', { metadata: { name: 'all', namespace: 'default' }, spec: { maxUnavailable: '10%', selector: {} } });
    const watches = Array.from({ length: 200 }, (_, i) => client.watch('Pod', { fieldSelector: { 'spec.nodeName': `n${i}` } }));
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) {
      await client.create('Pod', {
        metadata: { name: `p${i}`, namespace: 'default', labels: { app: `a${i % 10}` } },
        spec: { nodeName: `n${i % 200}`, containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
      });
    }
    const createMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 2_000; i++) {
      await client.patchStatus('Pod', `p${i}`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    }
    const patchMs = performance.now() - t1;
    const t2 = performance.now();
    for (let i = 0; i < 200; i++) assert.equal((await client.list('Pod', { fieldSelector: { 'spec.nodeName': `n${i}` } })).items.length, 100);
    const listMs = performance.now() - t2;
    // Generous bounds (a shared 2-core machine): each is ~10x what an O(1)-per-write store needs,
    // and far below what an O(n) scan per write (20k x 20k) would take.
    assert.ok(createMs < 8_000, `20k creates took ${createMs.toFixed(0)} ms`);
    assert.ok(patchMs < 2_000, `2k status patches took ${patchMs.toFixed(0)} ms`);
    assert.ok(listMs < 2_000, `200 indexed lists took ${listMs.toFixed(0)} ms`);
    const pdb = await client.get('PodDisruptionBudget', 'all');
    assert.equal(pdb.status?.currentHealthy, 2_000);
    assert.equal(pdb.status?.expectedPods, 20_000);
    assert.equal(client.openWatches('Pod'), 200);
    for (const w of watches) void w[Symbol.asyncIterator]().return?.();
    assert.equal(client.openWatches(), 0);
  });
});
