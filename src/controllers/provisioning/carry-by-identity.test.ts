import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { carriedIndexes } from './carry-by-identity.js';

/** What a round's list may become by the next: objects kept, removed, replaced by new ones, or new ones inserted. */
type Edit = 'keep' | 'remove' | 'replace' | 'insert';
const editArb = fc.constantFrom<Edit>('keep', 'keep', 'keep', 'keep', 'remove', 'replace', 'insert');

function edited(prev: readonly object[], edits: readonly Edit[]): object[] {
  const next: object[] = [];
  prev.forEach((x, i) => {
    const e = edits[i % edits.length]!;
    if (e === 'keep') next.push(x);
    else if (e === 'replace') next.push({});
    else if (e === 'insert') next.push({}, x);
  });
  return next;
}

describe('carriedIndexes', () => {
  it('gives only indexes of the very same object, and finds every kept one after short runs of changes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.array(editArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (n, edits, shuffle) => {
      const prev = Array.from({ length: n }, () => ({}));
      let next = edited(prev, edits);
      if (shuffle) next = [...next].reverse();
      const from = carriedIndexes(prev, next);
      assert.equal(from.length, next.length);
      from.forEach((i, j) => {
        if (i >= 0) assert.equal(prev[i], next[j]);
      });
      // Runs of changes are at most 12 long here, shorter than the lookahead: nothing kept is missed.
      if (!shuffle) next.forEach((x, j) => assert.equal(from[j]! >= 0, prev.includes(x)));
    }), { numRuns: 500 });
  });

  it('finds nothing in an empty previous list, and all of an unchanged one', () => {
    const a = [{}, {}, {}];
    assert.deepEqual([...carriedIndexes([], a)], [-1, -1, -1]);
    assert.deepEqual([...carriedIndexes(a, a)], [0, 1, 2]);
  });
});
