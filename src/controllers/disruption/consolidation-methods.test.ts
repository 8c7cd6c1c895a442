import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { consolidationOrder, isConsolidationCandidate } from './consolidation-methods.js';
import { Random } from '../../utils/random.js';
import { byDisruptionValue, sortByDisruptionValue } from './method-context.js';
import type { Candidate } from './types.js';

/** Just what ordering reads of a candidate. */
function candidate(nodeName: string, disruptionCost: number, price: number | undefined, pods = 1): Candidate {
  return {
    nodeName, claimName: nodeName, nodePoolName: 'p', price, disruptionCost, consolidatable: true,
    reschedulablePods: Array.from({ length: pods }, () => ({}) as Pod),
    pool: { nodePool: { spec: { disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized' } } } },
  } as unknown as Candidate;
}

describe('consolidationOrder', () => {
  it('is the consolidation candidates by disruption value, each candidate list its own', () => {
    const a = candidate('a', 3, 1);
    const b = candidate('b', 1, 1);
    const empty = candidate('empty', 0, 1, 0);
    const unpriced = candidate('unpriced', 0, undefined);
    const first = [a, b, empty, unpriced];
    assert.deepEqual(consolidationOrder(first).map((c) => c.nodeName), ['b', 'a']);
    assert.equal(consolidationOrder(first), consolidationOrder(first), 'worked out once per list');
    // The next pass: the same machines, now valued the other way round.
    const next = [candidate('a', 1, 1), candidate('b', 3, 1), candidate('c', 2, 1)];
    assert.deepEqual(consolidationOrder(next).map((c) => c.nodeName), ['a', 'c', 'b']);
    assert.deepEqual(consolidationOrder(next), sortByDisruptionValue(next.filter(isConsolidationCandidate)));
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
