/**
 * Lining up a list of immutable objects with the previous round's list, so what a round worked out
 * per object can be carried to the next for the very same objects. The cluster's machine views are
 * immutable (a changed machine has a new view) and mostly the same from one round to the next, in
 * the same order; reading each of a thousand views again costs a cache miss or more apiece, while
 * comparing the two lists' slots reads no object at all.
 */

/**
 * How far ahead in the previous list the next object is looked for: past a run of objects removed
 * or replaced by changed ones since.
 */
const LOOKAHEAD = 16;

/**
 * For each index of `next`, the index in `prev` of the very same object (===), or -1. Both are
 * walked in order: each object is looked for among the LOOKAHEAD objects of `prev` after the last
 * one found; objects of `prev` passed over were removed or replaced, an object not found is new.
 * An index it gives always holds the same object; an object it misses (moved, or after a longer
 * run of removals) only gets -1.
 */
export function carriedIndexes<T>(prev: readonly T[], next: readonly T[]): Int32Array {
  const n = next.length;
  const m = prev.length;
  const from = new Int32Array(n);
  let i = 0;
  for (let j = 0; j < n; j++) {
    const x = next[j];
    // Most objects are the one after the last found: that slot first.
    if (i < m && prev[i] === x) {
      from[j] = i++;
      continue;
    }
    from[j] = -1;
    const end = i + LOOKAHEAD < m ? i + LOOKAHEAD : m;
    for (let k = i + 1; k < end; k++) {
      if (prev[k] !== x) continue;
      from[j] = k;
      i = k + 1;
      break;
    }
  }
  return from;
}
