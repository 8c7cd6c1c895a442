import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CronError, isWindowActive, lastTick, nextTick, parseCron } from './cron.js';
import type { CronSchedule } from './cron.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function listOf(bits: readonly boolean[]): number[] {
  return bits.flatMap((b, i) => (b ? [i] : []));
}

describe('parseCron', () => {
  it('reads ranges, steps, lists and names', () => {
    const s = parseCron('*/15 9-17 1,15 jan-mar MON-fri');
    assert.deepEqual(listOf(s.minutes), [0, 15, 30, 45]);
    assert.deepEqual(listOf(s.hours), [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(listOf(s.daysOfMonth), [1, 15]);
    assert.deepEqual(listOf(s.months), [1, 2, 3]);
    assert.deepEqual(listOf(s.daysOfWeek), [1, 2, 3, 4, 5]);
    assert.equal(s.domStar, false);
    assert.equal(s.dowStar, false);
  });

  it('reads "N/step" as N to the maximum', () => {
    assert.deepEqual(listOf(parseCron('5/20 * * * *').minutes), [5, 25, 45]);
    assert.deepEqual(listOf(parseCron('0 0-12/5 * * *').hours), [0, 5, 10]);
  });

  it('treats * and ? as stars, but not */2', () => {
    assert.equal(parseCron('0 0 * * 1').domStar, true);
    assert.equal(parseCron('0 0 ? * 1').domStar, true);
    assert.equal(parseCron('0 0 */1 * 1').domStar, true);
    assert.equal(parseCron('0 0 */2 * 1').domStar, false);
    assert.equal(parseCron('0 0 1 * *').dowStar, true);
  });

  it('expands the macros', () => {
    const same = (a: string, b: string): void => assert.deepEqual({ ...parseCron(a), source: '' }, { ...parseCron(b), source: '' });
    same('@yearly', '0 0 1 1 *');
    same('@annually', '0 0 1 1 *');
    same('@monthly', '0 0 1 * *');
    same('@weekly', '0 0 * * 0');
    same('@daily', '0 0 * * *');
    same('@midnight', '0 0 * * *');
    same('@hourly', '0 * * * *');
  });

  it('tolerates extra whitespace between fields', () => {
    assert.deepEqual(listOf(parseCron('  0\t9  * *   1 ').hours), [9]);
  });

  const bad: [string, RegExp][] = [
    ['', /expected 5 fields/],
    ['* * * *', /expected 5 fields .*got 4/],
    ['* * * * * *', /got 6/],
    ['60 * * * *', /minute field "60": 60 is outside 0-59/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day of month field "0": 0 is outside 1-31/],
    ['* * 32 * *', /day of month/],
    ['* * * 13 *', /month field/],
    ['* * * * 7', /day of week field "7": 7 is outside 0-6/],
    ['* * * foo *', /"foo" is not a number or a name/],
    ['*/0 * * * *', /step "0" must be a positive integer/],
    ['*/x * * * *', /step "x"/],
    ['1/2/3 * * * *', /too many "\/"/],
    ['1-2-3 * * * *', /too many "-"/],
    ['5-1 * * * *', /runs backwards/],
    ['1,,2 * * * *', /empty list item/],
    ['-1 * * * *', /is not a number/],
    ['@every 1h', /unknown macro/],
    ['@DAILY', /unknown macro/],
    ['TZ=UTC 0 9 * * *', /expected 5 fields/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseCron(text), (e: unknown) => {
        assert.ok(e instanceof CronError);
        assert.equal(e.schedule, text);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

describe('nextTick and lastTick', () => {
  it('finds the next weekday morning across a weekend', () => {
    // 2024-06-07 is a Friday.
    assert.equal(iso(nextTick('0 9 * * mon-fri', at('2024-06-07T10:00:00Z'))), '2024-06-10T09:00:00.000Z');
    assert.equal(iso(lastTick('0 9 * * mon-fri', at('2024-06-09T23:00:00Z'))), '2024-06-07T09:00:00.000Z');
  });

  it('is strictly after for nextTick and at-or-before for lastTick', () => {
    const t = at('2024-01-01T00:00:00Z');
    assert.equal(lastTick('@daily', t), t);
    assert.equal(lastTick('@daily', t + 59_999), t);
    assert.equal(nextTick('@daily', t), t + 24 * HOUR);
    assert.equal(nextTick('@daily', t - 1), t);
  });

  it('crosses month and year ends', () => {
    assert.equal(iso(nextTick('@monthly', at('2024-12-15T00:00:00Z'))), '2025-01-01T00:00:00.000Z');
    assert.equal(iso(lastTick('@yearly', at('2024-06-01T00:00:00Z'))), '2024-01-01T00:00:00.000Z');
    assert.equal(iso(lastTick('59 23 31 12 *', at('2024-06-01T00:00:00Z'))), '2023-12-31T23:59:00.000Z');
    assert.equal(iso(nextTick('0 0 31 * *', at('2024-01-31T00:00:00Z'))), '2024-03-31T00:00:00.000Z');
  });

  it('handles leap days', () => {
    assert.equal(iso(nextTick('0 0 29 2 *', at('2024-03-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
    assert.equal(iso(lastTick('0 0 29 2 *', at('2027-01-01T00:00:00Z'))), '2024-02-29T00:00:00.000Z');
  });

  it('ORs day-of-month and day-of-week when both are restricted', () => {
    // The 13th or any Friday: from Sat 2024-09-07 the next is Fri 2024-09-13 (both), then the 13th of Sep is done,
    // so the one after is Fri 2024-09-20.
    assert.equal(iso(nextTick('0 0 13 * fri', at('2024-09-07T00:00:00Z'))), '2024-09-13T00:00:00.000Z');
    assert.equal(iso(nextTick('0 0 13 * fri', at('2024-09-13T00:00:00Z'))), '2024-09-20T00:00:00.000Z');
    // ANDs when one side is a star: the first Monday of ... never mind, just Mondays.
    assert.equal(iso(nextTick('0 0 * * mon', at('2024-09-07T00:00:00Z'))), '2024-09-09T00:00:00.000Z');
    // "*/2" in day-of-month is not a star, so it ORs with Sunday.
    assert.equal(iso(nextTick('0 0 */2 * sun', at('2024-09-07T00:00:00Z'))), '2024-09-08T00:00:00.000Z');
  });

  it('gives up on schedules that never fire', () => {
    assert.equal(nextTick('0 0 30 2 *', at('2024-01-01T00:00:00Z')), undefined);
    assert.equal(lastTick('0 0 31 4 *', at('2024-01-01T00:00:00Z')), undefined);
  });

  it('accepts a parsed schedule and throws CronError for a bad string', () => {
    const s = parseCron('30 * * * *');
    assert.equal(iso(nextTick(s, at('2024-01-01T00:00:00Z'))), '2024-01-01T00:30:00.000Z');
    assert.throws(() => nextTick('bad', 0), CronError);
    assert.throws(() => lastTick('bad', 0), CronError);
  });

  it('is quick for sparse schedules', () => {
    const s = parseCron('59 23 29 2 *');
    const start = performance.now();
    for (let i = 0; i < 200; i++) lastTick(s, at('2031-01-01T00:00:00Z') + i * HOUR);
    assert.ok(performance.now() - start < 1000, 'searches skip whole months and days');
  });
});

describe('isWindowActive', () => {
  const sched = '0 9 * * mon-fri';
  const monday9 = at('2024-06-10T09:00:00Z');
  it('is active from the tick until just before tick + duration', () => {
    assert.equal(isWindowActive(sched, 8 * HOUR, monday9 - 1), false);
    assert.equal(isWindowActive(sched, 8 * HOUR, monday9), true);
    assert.equal(isWindowActive(sched, 8 * HOUR, monday9 + 8 * HOUR - 1), true);
    assert.equal(isWindowActive(sched, 8 * HOUR, monday9 + 8 * HOUR), false);
  });
  it('stays inactive over the weekend and with zero duration', () => {
    assert.equal(isWindowActive(sched, 8 * HOUR, at('2024-06-08T10:00:00Z')), false);
    assert.equal(isWindowActive(sched, 0, monday9), false);
  });
  it('lets overlapping windows extend each other', () => {
    assert.equal(isWindowActive('@hourly', 2 * HOUR, at('2024-06-08T10:59:00Z')), true);
  });
});

/** Brute force: scan minute by minute. */
function matches(s: CronSchedule, ms: number): boolean {
  const d = new Date(ms);
  const dom = s.daysOfMonth[d.getUTCDate()] === true;
  const dow = s.daysOfWeek[d.getUTCDay()] === true;
  const day = s.domStar || s.dowStar ? dom && dow : dom || dow;
  return s.minutes[d.getUTCMinutes()] === true && s.hours[d.getUTCHours()] === true && s.months[d.getUTCMonth() + 1] === true && day;
}

const fieldArb = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant('*'),
    fc.integer({ min, max }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min: 1, max: 7 })).map(([a, n]) => `${a}/${n}`),
    fc.constant(`*/${Math.max(2, Math.floor((max - min) / 3))}`),
    fc.array(fc.integer({ min, max }), { minLength: 1, maxLength: 3 }).map((xs) => xs.join(',')),
  );
const scheduleArb = fc
  .tuple(fieldArb(0, 59), fieldArb(0, 23), fieldArb(1, 31), fc.oneof(fc.constant('*'), fieldArb(1, 12)), fieldArb(0, 6))
  .map((fields) => fields.join(' '));

describe('nextTick/lastTick against a minute-by-minute scan (property)', () => {
  const WINDOW = 3 * 24 * 60;
  it('agree within a three-day window', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: -4_000_000_000_000, max: 4_000_000_000_000 }), (text, now) => {
        const s = parseCron(text);
        const floor = Math.floor(now / MIN) * MIN;
        let expectedNext: number | undefined;
        for (let i = 1; i <= WINDOW && expectedNext === undefined; i++) if (matches(s, floor + i * MIN)) expectedNext = floor + i * MIN;
        let expectedLast: number | undefined;
        for (let i = 0; i <= WINDOW && expectedLast === undefined; i++) if (matches(s, floor - i * MIN)) expectedLast = floor - i * MIN;
        const next = nextTick(s, now);
        const last = lastTick(s, now);
        if (expectedNext !== undefined) assert.equal(next, expectedNext, `next of ${text} after ${iso(now)}`);
        else assert.ok(next === undefined || next > floor + WINDOW * MIN);
        if (expectedLast !== undefined) assert.equal(last, expectedLast, `last of ${text} at ${iso(now)}`);
        else assert.ok(last === undefined || last < floor - WINDOW * MIN);
        if (next !== undefined) assert.ok(matches(s, next));
        if (last !== undefined) assert.ok(matches(s, last) && last <= now);
      }),
      { numRuns: 150 },
    );
  });
});
