import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSet, persistentVolume, persistentVolumeClaim, pod, solverNode } from '../../test/builders.js';
import fc from 'fast-check';
import { podRequests } from '../../scheduling/pod-requests.js';
import { estimateNodes, filterOutSchedulable, SchedulableFilterMemo, someCannotFit } from './binpacking.js';
import type { FilterKey, Room } from './binpacking.js';
import { group, type } from './fixtures.js';
import { cloudTemplate, templateNodes } from './templates.js';

const M = type('m.xlarge', 4, 16, 0.2);

describe('binpacking', () => {
  it('estimates nodes by First-Fit Decreasing', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const pods = ['1', '3', '2', '1', '2', '3', '2'].map((cpu) => pod({ cpu }));
    // Largest first: [3,1] [3,1] [2,2] [2]
    const e = estimateNodes(t, pods, 100);
    assert.equal(e.nodeCount, 4);
    assert.equal(e.pods.length, 7);
    const capped = estimateNodes(t, pods, 2);
    assert.equal(capped.nodeCount, 2);
    assert.deepEqual(capped.pods.map((p) => p.spec.containers[0]!.resources!.requests!.cpu).sort(), ['1', '1', '3', '3']);
    assert.equal(estimateNodes(t, [pod({ cpu: '5' })], 10).nodeCount, 0, 'a pod larger than the template fits no node');
  });

  it('reserves the DaemonSet pods that would run on the template', () => {
    const selective = daemonSet({ name: 'gpu-agent', cpu: '1', nodeSelector: { gpu: 'true' } });
    const agent = daemonSet({ name: 'agent', cpu: '1' });
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], [agent, selective]);
    assert.deepEqual(t.daemonSetPods.map((p) => p.metadata.name), ['agent-template-g']);
    assert.equal(t.labels['topology.kubernetes.io/zone'], 'zone-a');
    assert.equal(t.labels['node.kubernetes.io/instance-type'], 'm.xlarge');
    assert.equal(estimateNodes(t, [pod({ cpu: '2' }), pod({ cpu: '2' })], 10).nodeCount, 2, '3 cpu left per node');
  });

  it('leaves out pods that fit on existing or upcoming nodes', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const existing = [solverNode('n1', { cpu: '2', bound: [pod({ cpu: '1' })] })];
    const upcoming = templateNodes(t, 1, 'upcoming-g', true);
    const pods = [pod({ name: 'a', cpu: '1' }), pod({ name: 'b', cpu: '3' }), pod({ name: 'c', cpu: '2' })];
    const r = filterOutSchedulable(pods, existing, upcoming);
    assert.equal(r.onExisting, 1);
    assert.equal(r.onUpcoming, 1);
    assert.deepEqual(r.remaining.map((p) => p.metadata.name), ['c']);
  });

  it('takes volume zones into account', () => {
    const t = cloudTemplate(group('g', 'm.xlarge'), [M], []);
    const volumes = { persistentVolumes: [persistentVolume('pv-b', { zone: 'zone-b' })], persistentVolumeClaims: [persistentVolumeClaim('data-db-0', { volumeName: 'pv-b' })] };
    const db = pod({ name: 'db-0', cpu: '1', pvc: 'data-db-0' });
    assert.equal(estimateNodes(t, [db], 5, volumes).nodeCount, 0, 'the template is in zone-a, the volume in zone-b');
    const inB = cloudTemplate(group('g', 'm.xlarge', { zones: ['zone-b'] }), [M], []);
    assert.equal(estimateNodes(inB, [db], 5, volumes).nodeCount, 1);
    const r = filterOutSchedulable([db], [solverNode('a', { zone: 'zone-a' }), solverNode('b', { zone: 'zone-b' })], [], volumes);
    assert.equal(r.onExisting, 1);
  });

  it('tells from room alone when some pods certainly fit nowhere', () => {
    const rooms: Room[] = [{ free: { cpu: 2000, memory: 4 * 2 ** 30 }, count: 2 }];
    assert.equal(someCannotFit([pod({ cpu: '3' })], rooms), true, 'larger than every node');
    assert.equal(someCannotFit([pod({ cpu: '2' }), pod({ cpu: '2' }), pod({ cpu: '1' })], rooms), true, 'more than all nodes together');
    assert.equal(someCannotFit([pod({ cpu: '2' }), pod({ cpu: '2' })], rooms), false);
    assert.equal(someCannotFit([pod({ cpu: '1', memory: '5Gi' })], rooms), true, 'memory counts too');
    assert.equal(someCannotFit([pod({ cpu: '1' })], []), true, 'no node at all');
    assert.equal(someCannotFit([], []), false);
  });

  it('never says some pods fit nowhere when the simulation places them all', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ cpu: fc.integer({ min: 1, max: 8 }), bound: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 4 }) }), { maxLength: 4 }),
      fc.array(fc.record({ milli: fc.integer({ min: 1, max: 40 }), gi: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 10 }),
      (nodes, pending) => {
        const existing = nodes.map((n, i) => solverNode(`n${i}`, { cpu: String(n.cpu), bound: n.bound.map((m) => pod({ cpu: `${m * 100}m` })) }));
        const rooms: Room[] = existing.map((n) => {
          const free: Record<string, number> = { ...n.allocatable };
          for (const p of n.pods) for (const [k, v] of Object.entries(podRequests(p))) free[k] = (free[k] ?? 0) - v;
          return { free, count: 1 };
        });
        const pods = pending.map((p) => pod({ cpu: `${p.milli * 100}m`, memory: `${p.gi}Gi` }));
        if (someCannotFit(pods, rooms)) assert.ok(filterOutSchedulable(pods, existing, []).remaining.length > 0);
      },
    ), { numRuns: 300, seed: 20251130 });
  });

  it('gives the last answer again only for the same pods and key', () => {
    const memo = new SchedulableFilterMemo();
    const pods = [pod({ cpu: '1' }), pod({ cpu: '2' })];
    const key: FilterKey = { nodesGeneration: 1, full: false, volumes: undefined, upcoming: [] };
    let runs = 0;
    const simulate = () => {
      runs++;
      return { remaining: [], onExisting: runs, onUpcoming: 0 };
    };
    memo.filter(pods, key, simulate);
    assert.equal(memo.filter([...pods], { ...key }, simulate).onExisting, 1, 'same pods, equal key: the same answer');
    memo.filter([pods[1]!, pods[0]!], key, simulate);
    memo.filter([pods[1]!, pods[0]!], { ...key, nodesGeneration: 2 }, simulate);
    memo.filter([pods[1]!, pods[0]!], { ...key, nodesGeneration: 2, full: true }, simulate);
    assert.equal(runs, 4);
    assert.deepEqual(memo.stats, { hits: 1, misses: 4 });
  });
});
