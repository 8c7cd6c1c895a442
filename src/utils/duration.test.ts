import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DurationError, formatDuration, NEVER, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('parseDuration', () => {
  const cases: [string, number][] = [
    ['720h', 720 * H],
    ['1h30m', H + 30 * M],
    ['10s', 10 * S],
    ['0s', 0],
    ['0', 0],
    ['-0', 0],
    ['500ms', 500],
    ['1.5h', 1.5 * H],
    ['.5s', 500],
    ['5.s', 5 * S],
    ['1h0m0s', H],
    ['90m', 90 * M],
    ['1m30s', 90 * S],
    ['2h45m30.25s', 2 * H + 45 * M + 30.25 * S],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['250000ns', 0.25],
    ['-1h', -H],
    ['+2m', 2 * M],
    ['8760h', 8760 * H],
    ['100000h', 100000 * H],
    ['1s1s', 2 * S],
  ];
  for (const [text, ms] of cases) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const bad = ['', '1', '10', 'h', '1.5', '.s', '1d', '1H', '1 h', ' 1h', '1h ', '1hm', 'abc', '1.2.3s', '-', '--1s', '1h-30m', 'never'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)} with a DurationError naming it`, () => {
      assert.throws(() => parseDuration(text), (e: unknown) => {
        assert.ok(e instanceof DurationError);
        assert.equal(e.input, text);
        assert.match(e.message, /parsing duration/);
        return true;
      });
    });
  }

  it('says which unit is unknown', () => {
    assert.throws(() => parseDuration('3d'), /unknown unit "d"/);
  });

  it('accepts "Never" only when allowed', () => {
    assert.equal(parseDuration(NEVER, { allowNever: true }), Infinity);
    assert.throws(() => parseDuration('Never'), /"Never" is not allowed here/);
  });

  it('truncates below a nanosecond as Go does', () => {
    assert.equal(parseDuration('1.0000000009s'), 1000);
  });

  it('rejects non-strings with a typed error', () => {
    assert.throws(() => parseDuration(30 as unknown as string), DurationError);
  });
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [720 * H, '720h'],
    [H + 30 * M, '1h30m'],
    [90 * S, '1m30s'],
    [H + 5 * S, '1h5s'],
    [1.5 * S, '1.5s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5us'],
    [0.000001, '1ns'],
    [0, '0s'],
    [-90 * M, '-1h30m'],
    [Infinity, 'Never'],
  ];
  for (const [ms, text] of cases) {
    it(`writes ${ms} ms as ${text}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }

  it('refuses NaN and -Infinity', () => {
    assert.throws(() => formatDuration(NaN), DurationError);
    assert.throws(() => formatDuration(-Infinity), DurationError);
  });

  it('round-trips every whole number of milliseconds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips Never', () => {
    assert.equal(parseDuration(formatDuration(Infinity), { allowNever: true }), Infinity);
  });
});
