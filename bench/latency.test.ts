import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { windowCloses } from './latency.js';

const closes = (marks: number[], idleMs: number, maxMs: number): [number, number][] => [...windowCloses(marks, idleMs, maxMs)].sort((a, b) => a[0] - b[0]);

describe('windowCloses: the batch window replayed on mark times', () => {
  it('closes a lone mark one idle window after it', () => {
    assert.deepEqual(closes([1_000], 300, 10_000), [[1_000, 1_300]]);
  });

  it('restarts the idle window on each mark that falls inside it', () => {
    assert.deepEqual(closes([0, 500, 900], 1_000, 10_000), [[0, 1_900], [500, 1_900], [900, 1_900]]);
  });

  it('opens a new window for a mark after the last one closed, and takes a mark exactly at the close into that window', () => {
    assert.deepEqual(closes([0, 1_500], 1_000, 10_000), [[0, 1_000], [1_500, 2_500]]);
    assert.deepEqual(closes([0, 1_000], 1_000, 10_000), [[0, 2_000], [1_000, 2_000]]);
  });

  it('caps a window kept open by steady marks at the max window from its first mark', () => {
    const marks = Array.from({ length: 25 }, (_, i) => i * 500);
    const got = new Map(closes(marks, 1_000, 10_000));
    for (const m of marks.filter((x) => x <= 10_000)) assert.equal(got.get(m), 10_000, `mark ${m}`);
    for (const m of marks.filter((x) => x > 10_000)) assert.equal(got.get(m), 13_000, `mark ${m}`);
  });

  it('does not depend on the order the marks are given in', () => {
    assert.deepEqual(closes([900, 0, 2_500, 500], 1_000, 10_000), closes([0, 500, 900, 2_500], 1_000, 10_000));
  });

  it('every mark waits between 0 and the max window; consecutive windows are separated by a gap', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 20_000 }),
      (marks, idleMs, maxMs) => {
        const got = closes(marks, idleMs, maxMs);
        assert.equal(got.length, marks.length);
        for (const [m, c] of got) {
          assert.ok(c >= m && c - m <= maxMs, `mark ${m} closes at ${c}`);
          assert.ok(c - m <= idleMs || got.some(([m2, c2]) => m2 > m && c2 === c), 'a window stays open past idle only for a later mark');
        }
        for (let i = 1; i < got.length; i++) {
          const [prev, prevClose] = got[i - 1]!;
          const [m, c] = got[i]!;
          if (c !== prevClose) assert.ok(m > prevClose, `mark ${m} starts a window though the one of ${prev} closes at ${prevClose}`);
          else assert.ok(m - prev <= idleMs, `marks ${prev} and ${m} share a window across a gap longer than idle`);
        }
      },
    ));
  });
});
