import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { microsOf, profileOf, roundLines, windowCloses } from './latency-profile.js';

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

describe('the controller\'s round log and the latency profile', () => {
  it('reads the round lines of a JSON log, skipping other and cut lines', () => {
    const log = [
      '{"level":"info","msg":"created nodeclaim","nodeclaim":"default-a"}',
      '{"level":"info","startedAt":1000,"waitedMs":5,"solvedAfterMs":8.5,"decidedAfterMs":40,"pods":3,"nodeClaims":["default-a"],"msg":"provisioning round decided"}',
      '"startedAt":2000,"waitedMs":0,"msg":"provisioning round decided"}',
    ].join('\n');
    assert.deepEqual(roundLines(log), [{ startedAt: 1_000, waitedMs: 5, solvedAfterMs: 8.5, decidedAfterMs: 40, nodeClaims: ['default-a'] }]);
  });

  it('keeps the microseconds of a MicroTime that Date.parse drops', () => {
    assert.equal(Date.parse('2026-01-01T00:00:00.123456Z') + microsOf('2026-01-01T00:00:00.123456Z'), Date.parse('2026-01-01T00:00:00.123Z') + 0.456);
    assert.equal(microsOf('2026-01-01T00:00:00Z'), 0);
  });

  it('splits a pod\'s latency into window, wait, solve, write and seen, which add up to it', () => {
    const origin = performance.timeOrigin;
    // Marked at perf 100 (epoch origin+100); the window closed at +300; the round waited 20, solved after 10, decided after 50.
    const rounds = [{ startedAt: origin + 320, waitedMs: 20, solvedAfterMs: 10, decidedAfterMs: 50, nodeClaims: ['c1'] }];
    const p = profileOf(
      new Map([['p', 100], ['q', 150], ['elsewhere', 100], ['later', 400]]),
      new Map([['p', { target: 'c1' }], ['q', { target: 'c1' }], ['elsewhere', { target: 'node-1' }], ['later', { target: 'c1' }]]),
      new Map([['c1', 380]]),
      new Map([['p', origin + 90]]),
      rounds,
    );
    assert.equal(p.pods, 2, 'only pods decided on a claim a logged round launched after they were marked');
    assert.deepEqual(p.window, [150, 200]);
    assert.deepEqual([p.queued, p.solve, p.write, p.seen], [[20, 20], [10, 10], [40, 40], [10, 10]]);
    assert.deepEqual(p.own, [80, 80], 'wait + solve + write + seen');
    assert.equal(200 + 20 + 10 + 40 + 10, 380 - 100, 'the parts of p add up to its latency');
    assert.deepEqual([p.markLagPods, p.markLag], [1, [10, 10]]);
    assert.deepEqual(p.tail, [200, 20, 10, 40, 10], 'p, the slower of the two, is the p99 tail');
  });
});
