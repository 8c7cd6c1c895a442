import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod } from '../../test/builders.js';
import { Random } from '../../utils/random.js';
import { resourcesFromQuantities } from '../../utils/resources.js';
import type { ExpansionOption } from './expander.js';
import { expand, wasteOf } from './expander.js';
import type { GroupTemplate } from './templates.js';

function template(group: string, cpu: string, memory: string, price: number): GroupTemplate {
  const capacity = resourcesFromQuantities({ cpu, memory, pods: '110' });
  return { group, source: 'cloud', instanceType: `${group}-type`, zone: 'zone-a', price, labels: {}, taints: [], allocatable: capacity, capacity, daemonSetPods: [] };
}

function option(group: string, nodeCount: number, podCount: number, t: GroupTemplate, podCpu = '1', podMemory = '1Gi'): ExpansionOption {
  return { group, nodeCount, pods: Array.from({ length: podCount }, () => pod({ cpu: podCpu, memory: podMemory })), template: t };
}

const ctx = (seed = 1, priorities = {}) => ({ random: new Random(seed), priorities });

describe('expanders', () => {
  it('least-waste: least idle cpu share, then least idle memory share', () => {
    const a = option('a', 1, 3, template('a', '4', '16Gi', 0.2));
    const b = option('b', 1, 3, template('b', '8', '16Gi', 0.3));
    assert.deepEqual(wasteOf(a), { cpu: 0.25, memory: 13 / 16 });
    const r = expand([b, a], ['least-waste'], ctx());
    assert.equal(r.chosen.group, 'a');
    assert.match(r.chosenBecause, /least-waste: cpu idle 25%, memory idle 81%/);
    assert.match(r.rejected.get('b')!, /least-waste: cpu idle 63%/);
    // Equal cpu waste: memory decides.
    const c = option('c', 1, 3, template('c', '4', '8Gi', 0.2));
    assert.equal(expand([a, c], ['least-waste'], ctx()).chosen.group, 'c');
  });

  it('most-pods, least-nodes and price', () => {
    const t = template('t', '4', '16Gi', 0.2);
    const many = option('many', 3, 9, t);
    const few = option('few', 1, 2, { ...t, price: 0.05 });
    assert.equal(expand([few, many], ['most-pods'], ctx()).chosen.group, 'many');
    assert.equal(expand([many, few], ['least-nodes'], ctx()).chosen.group, 'few');
    // price per pod: many 0.6/9 = 0.067, few 0.05/2 = 0.025
    assert.equal(expand([many, few], ['price'], ctx()).chosen.group, 'few');
  });

  it('priority keeps the highest priority with a match, then the chain goes on', () => {
    const t = template('t', '4', '16Gi', 0.2);
    const spotA = option('spot-a', 2, 4, t);
    const spotB = option('spot-b', 1, 4, t);
    const od = option('on-demand', 1, 4, t);
    const priorities = { 10: ['spot-.*'], 1: ['.*'] };
    const r = expand([od, spotA, spotB], ['priority', 'least-nodes'], ctx(1, priorities));
    assert.equal(r.chosen.group, 'spot-b');
    assert.match(r.rejected.get('on-demand')!, /priority: lower priority/);
    assert.match(r.rejected.get('spot-a')!, /least-nodes: 2 nodes/);
    assert.equal(expand([od], ['priority'], ctx(1, { 5: ['nothing'] })).chosen.group, 'on-demand');
  });

  it('breaks remaining ties with the seeded random', () => {
    const t = template('t', '4', '16Gi', 0.2);
    const opts = ['a', 'b', 'c', 'd'].map((g) => option(g, 1, 2, t));
    const picks = (seed: number): string[] => {
      const random = new Random(seed);
      return Array.from({ length: 20 }, () => expand(opts, ['least-waste'], { random, priorities: {} }).chosen.group);
    };
    assert.deepEqual(picks(3), picks(3));
    assert.ok(new Set(picks(3)).size > 1, 'ties do not always go the same way');
    const r = expand(opts, ['least-waste'], ctx());
    assert.match(r.chosenBecause, /won a random tie-break/);
    assert.equal(r.rejected.size, 3);
    assert.throws(() => expand([], ['least-waste'], ctx()), /no option/);
  });
});
