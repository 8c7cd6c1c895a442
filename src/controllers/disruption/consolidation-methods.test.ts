import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { consolidationOrder, isConsolidationCandidate } from './consolidation-methods.js';
import { sortByDisruptionValue } from './method-context.js';
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
