import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { ConsolidationOrder, isConsolidationCandidate } from './consolidation-methods.js';
import { Random } from '../../utils/random.js';
import { byDisruptionValue, resortByDisruptionValue, sortByDisruptionValue } from './method-context.js';
import type { Candidate } from './types.js';

/** Just what ordering reads of a candidate. */
function candidate(nodeName: string, disruptionCost: number, price: number | undefined, pods = 1): Candidate {
  return {
    nodeName, claimName: nodeName, nodePoolName: 'p', price, disruptionCost, consolidatable: true,
    reschedulablePods: Array.from({ length: pods }, () => ({}) as Pod),
    pool: { nodePool: { spec: { disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized' } } } },
  } as unknown as Candidate;
}

describe('ConsolidationOrder.of', () => {
  it('is the consolidation candidates by disruption value, each candidate list its own', () => {
    const order = new ConsolidationOrder();
    const a = candidate('a', 3, 1);
    const b = candidate('b', 1, 1);
    const empty = candidate('empty', 0, 1, 0);
    const unpriced = candidate('unpriced', 0, undefined);
    const first = [a, b, empty, unpriced];
    assert.deepEqual(order.of(first).map((c) => c.nodeName), ['b', 'a']);
    assert.equal(order.of(first), order.of(first), 'worked out once per list');
    // The next pass: the same machines, now valued the other way round.
    const next = [candidate('a', 1, 1), candidate('b', 3, 1), candidate('c', 2, 1)];
    assert.deepEqual(order.of(next).map((c) => c.nodeName), ['a', 'c', 'b']);
    assert.deepEqual(order.of(next), sortByDisruptionValue(next.filter(isConsolidationCandidate)));
  });
});

describe('ConsolidationOrder.of over passes', () => {
  it('is the sorted consolidation candidates of every pass, when the last pass\'s order still holds and when it does not', () => {
    const order = new ConsolidationOrder();
    for (let seed = 1; seed <= 200; seed++) {
      const random = new Random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)]!;
      let machines = Array.from({ length: 1 + Math.floor(random.next() * 8) }, (_, i) => ({ name: `n${i}`, cost: pick([0, 1, 2, 3]), price: pick([1, 2, undefined]) }));
      for (let pass = 0; pass < 12; pass++) {
        // Mostly the same machines and values; now and then one revalued, added, dropped or made unpriced.
        const change = pick(['none', 'none', 'revalue', 'add', 'drop', 'unprice', 'tie']);
        const at = Math.floor(random.next() * machines.length);
        if (change === 'revalue' && machines[at]) machines[at] = { ...machines[at], cost: pick([0, 1, 2, 3, 4]) };
        if (change === 'add') machines = [...machines, { name: `m${seed}-${pass}`, cost: pick([0, 1, 2]), price: 1 }];
        if (change === 'drop') machines = machines.filter((_, i) => i !== at);
        if (change === 'unprice' && machines[at]) machines[at] = { ...machines[at], price: undefined };
        if (change === 'tie') machines = machines.map((m) => ({ ...m, cost: 1, price: 1 }));
        const list = machines.map((m) => candidate(m.name, m.cost, m.price));
        const got = order.of(list);
        const expected = sortByDisruptionValue(list.filter(isConsolidationCandidate));
        assert.equal(got.length, expected.length, `seed ${seed}, pass ${pass}`);
        got.forEach((c, i) => assert.equal(c, expected[i], `seed ${seed}, pass ${pass}, place ${i}`));
      }
    }
  });

  it('takes the last order only where it is still the order: the same places revalued the other way round', () => {
    const order = new ConsolidationOrder();
    const first = [candidate('a', 1, 1), candidate('b', 2, 1), candidate('c', 3, 1)];
    assert.deepEqual(order.of(first).map((c) => c.nodeName), ['a', 'b', 'c']);
    const same = [candidate('a', 1.5, 1), candidate('b', 2.5, 1), candidate('c', 3.5, 1)];
    assert.deepEqual(order.of(same).map((c) => c.nodeName), ['a', 'b', 'c']);
    const turned = [candidate('a', 3, 1), candidate('b', 2, 1), candidate('c', 1, 1)];
    assert.deepEqual(order.of(turned).map((c) => c.nodeName), ['c', 'b', 'a']);
    const tied = [candidate('c', 1, 1), candidate('b', 1, 1), candidate('a', 1, 1)];
    assert.deepEqual(order.of(tied).map((c) => c.nodeName), ['a', 'b', 'c']);
  });
});

describe('ConsolidationOrder', () => {
  const underused = { nodePool: { spec: { disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized' } } } };
  const emptyOnly = { nodePool: { spec: { disruption: { consolidationPolicy: 'WhenEmpty' } } } };

  it('orders each keeper\'s passes on its own: two kept side by side, lists interleaved, each the full sort', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = new Random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)]!;
      const keepers = [new ConsolidationOrder(), new ConsolidationOrder()];
      // The two see overlapping names, valued apart, so one's hint would mislead the other.
      const fleets = keepers.map((_, k) => Array.from({ length: 12 }, (_, i) => ({ name: `n${(i * (k + 1)) % 14}`, cost: (i * (k + 2)) % 5 })));
      for (let pass = 0; pass < 20; pass++) {
        const k = pick([0, 1]);
        const fleet = fleets[k]!;
        const at = Math.floor(random.next() * fleet.length);
        fleet[at] = { ...fleet[at]!, cost: pick([0, 1, 2, 3, 4, 5]) };
        if (random.next() < 0.2) fleet.splice(at, 1);
        if (random.next() < 0.2) fleet.splice(Math.floor(random.next() * (fleet.length + 1)), 0, { name: `m${seed}-${pass}`, cost: pick([0, 1, 2]) });
        const list = fleet.map((m) => ({
          ...candidate(m.name, m.cost, pick([1, 1, 2, undefined]), pick([1, 1, 1, 0])),
          consolidatable: random.next() < 0.9,
          pool: random.next() < 0.85 ? underused : emptyOnly,
        }) as Candidate);
        const got = keepers[k]!.of(list);
        assert.equal(keepers[k]!.of(list), got, 'worked out once per list');
        const expected = sortByDisruptionValue(list.filter(isConsolidationCandidate));
        assert.equal(got.length, expected.length, `seed ${seed}, pass ${pass}`);
        got.forEach((c, i) => assert.equal(c, expected[i], `seed ${seed}, pass ${pass}, place ${i}`));
      }
    }
  });
});

describe('sortByDisruptionValue', () => {
  it('is a stable sort by byDisruptionValue, ties, equal names, NaN, infinite and signed zero scores included', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = new Random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)]!;
      const list = Array.from({ length: Math.floor(random.next() * 12) }, () => candidate(
        pick(['a', 'b', 'c', 'd', 'aa', 'B', 'ab', 'b-1', 'b-10', 'b-9']),
        pick([0, -0, 1, 2, 2.5, Infinity, seed % 10 === 0 ? Number.NaN : 3]),
        pick([1, 2, 0, undefined, Infinity]),
      ));
      const expected = list.map((c, i) => ({ c, i })).sort((a, b) => byDisruptionValue(a.c, b.c) || a.i - b.i).map((x) => x.c);
      if (list.some((c) => Number.isNaN(c.disruptionCost))) {
        const stable = list.map((c) => ({ c, s: c.disruptionCost / Math.max(c.price ?? 0, 1e-9) }));
        assert.deepEqual(sortByDisruptionValue(list), stable.sort((a, b) => a.s - b.s || (a.c.nodeName < b.c.nodeName ? -1 : a.c.nodeName > b.c.nodeName ? 1 : 0)).map((x) => x.c), `seed ${seed}`);
        continue;
      }
      const got = sortByDisruptionValue(list);
      assert.equal(got.length, expected.length);
      got.forEach((c, i) => assert.equal(c, expected[i], `seed ${seed}, place ${i}`));
    }
  });
});

describe('resortByDisruptionValue', () => {
  it('sorts places into sortByDisruptionValue order, or gives way on equal candidates, a NaN score or too many moves', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = new Random(seed);
      const list = Array.from({ length: Math.floor(random.next() * 12) }, (_, i) => candidate(`n${i}`, Math.floor(random.next() * 4), 1));
      const places = list.map((_, i) => i).sort(() => random.next() - 0.5);
      assert.equal(resortByDisruptionValue(list, places, list.length * list.length), true, `seed ${seed}`);
      assert.deepEqual(places.map((p) => list[p]), sortByDisruptionValue(list), `seed ${seed}`);
    }
    const twins = [candidate('a', 1, 1), candidate('a', 1, 1)];
    assert.equal(resortByDisruptionValue(twins, [0, 1], 10), false, 'two candidates comparing equal');
    assert.equal(resortByDisruptionValue([candidate('a', Number.NaN, 1)], [0], 10), false, 'a NaN score');
    const reversed = [candidate('a', 3, 1), candidate('b', 2, 1), candidate('c', 1, 1)];
    assert.equal(resortByDisruptionValue(reversed, [0, 1, 2], 2), false, 'three moves needed');
    const places = [0, 1, 2];
    assert.equal(resortByDisruptionValue(reversed, places, 3), true);
    assert.deepEqual(places, [2, 1, 0]);
  });
});
