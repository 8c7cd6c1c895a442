/**
 * Standard 5-field cron schedules (minute hour day-of-month month day-of-week), always in UTC, as
 * Karpenter's disruption budgets use them. The dialect is the one Karpenter and Kubernetes CronJobs
 * parse (robfig/cron's standard parser): `*` and `?`, ranges `a-b`, steps `x/n` (`5/15` means
 * 5-59/15), lists, month names jan–dec and weekday names sun–sat (any case), weekdays 0–6, and the
 * macros @yearly @annually @monthly @weekly @daily @midnight @hourly. Time zones are not supported.
 *
 * When both day-of-month and day-of-week are restricted a day matches if either does; when one of
 * them is `*` (or `?`) only the other counts.
 */

/** Thrown for a schedule that is not valid cron; `schedule` is the offending text. */
export class CronError extends Error {
  readonly schedule: string;
  constructor(message: string, schedule: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CronError';
    this.schedule = schedule;
  }
}

/** A parsed schedule. Each array is indexed by the field's value; `true` means it matches. */
export interface CronSchedule {
  readonly source: string;
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  readonly daysOfWeek: readonly boolean[];
  /** Day-of-month (or day-of-week) was written as `*`/`?`, which changes how days combine. */
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;
/** How far nextTick/lastTick search before concluding the schedule never fires (e.g. "0 0 30 2 *"). */
const SEARCH_YEARS = 10;

/**
 * Parses a schedule.
 * @throws CronError naming the field and the part that is wrong.
 */
export function parseCron(schedule: string): CronSchedule {
  if (typeof schedule !== 'string') throw new CronError('parsing cron schedule: expected a string', String(schedule));
  const trimmed = schedule.trim();
  const expanded = trimmed.startsWith('@') ? MACROS[trimmed] : trimmed;
  if (expanded === undefined) {
    throw new CronError(
      `parsing cron schedule "${schedule}": unknown macro; use one of ${Object.keys(MACROS).join(', ')}`,
      schedule,
    );
  }
  const parts = expanded.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    throw new CronError(
      `parsing cron schedule "${schedule}": expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
      schedule,
    );
  }
  const fields = FIELDS.map((spec, i) => parseField(parts[i]!, spec, schedule));
  return {
    source: schedule,
    minutes: fields[0]!.bits,
    hours: fields[1]!.bits,
    daysOfMonth: fields[2]!.bits,
    months: fields[3]!.bits,
    daysOfWeek: fields[4]!.bits,
    domStar: fields[2]!.star,
    dowStar: fields[4]!.star,
  };
}

function parseField(text: string, spec: FieldSpec, schedule: string): { bits: boolean[]; star: boolean } {
  const bits = new Array<boolean>(spec.max + 1).fill(false);
  let star = false;
  const fail = (why: string): never => {
    throw new CronError(`parsing cron schedule "${schedule}": ${spec.name} field "${text}": ${why}`, schedule);
  };
  for (const item of text.split(',')) {
    if (item === '') fail('empty list item');
    const slash = item.split('/');
    if (slash.length > 2) fail(`too many "/" in "${item}"`);
    const [range = '', stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) fail(`step "${stepText}" must be a positive integer`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*' || range === '?') {
      low = spec.min;
      high = spec.max;
      if (step === 1) star = true;
    } else {
      const dash = range.split('-');
      if (dash.length > 2) fail(`too many "-" in "${range}"`);
      low = parseValue(dash[0] ?? '', spec, fail);
      // "N/step" means "N-max/step".
      high = dash.length === 2 ? parseValue(dash[1] ?? '', spec, fail) : stepText !== undefined ? spec.max : low;
      if (low > high) fail(`range "${range}" runs backwards`);
    }
    for (let v = low; v <= high; v += step) bits[v] = true;
  }
  return { bits, star };
}

function parseValue(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const byName = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + spec.min;
  if (!/^[0-9]+$/.test(text)) {
    fail(spec.names ? `"${text}" is not a number or a name (${spec.names.join(', ')})` : `"${text}" is not a number`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) fail(`${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

/** Schedules parsed from text, by text: budgets hand their schedule strings in on every check. */
const parsed = new Map<string, CronSchedule>();
/** More distinct texts than any configuration has; past it the cache starts over. */
const PARSED_LIMIT = 256;

function asSchedule(schedule: CronSchedule | string): CronSchedule {
  if (typeof schedule !== 'string') return schedule;
  let s = parsed.get(schedule);
  if (s === undefined) {
    s = parseCron(schedule);
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(schedule, s);
  }
  return s;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const DAY_MS = 86_400_000;

/** Day of the week (0 Sunday) of a Date.UTC midnight, without a Date: day 0 of the epoch was a Thursday. */
function weekdayOf(midnightMs: number): number {
  return (((midnightMs / DAY_MS + 4) % 7) + 7) % 7;
}

function dayMatches(s: CronSchedule, year: number, month: number, day: number): boolean {
  const dom = s.daysOfMonth[day] === true;
  const dow = s.daysOfWeek[weekdayOf(Date.UTC(year, month - 1, day))] === true;
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

/** Calendar position, month 1–12, in UTC. */
interface Cursor {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

function cursorAt(ms: number): Cursor {
  const t = new Date(ms);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() };
}

function cursorMs(c: Cursor): number {
  const ms = Date.UTC(c.y, c.mo - 1, c.d, c.h, c.mi);
  // Date.UTC maps years 0–99 to 1900–1999; schedules there are out of scope but must not lie.
  return c.y >= 0 && c.y < 100 ? new Date(ms).setUTCFullYear(c.y) : ms;
}

/**
 * The first tick strictly after `afterMs`, or undefined if the schedule does not fire within the
 * next ten years (as for "0 0 30 2 *"). Skips whole months, days and hours that cannot match.
 * @throws CronError when given an invalid schedule string.
 */
export function nextTick(schedule: CronSchedule | string, afterMs: number): number | undefined {
  const s = asSchedule(schedule);
  const c = cursorAt(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const limit = c.y + SEARCH_YEARS;
  const nextMonth = (): void => {
    c.mo += 1;
    c.d = 1;
    c.h = 0;
    c.mi = 0;
    if (c.mo > 12) {
      c.mo = 1;
      c.y += 1;
    }
  };
  const nextDay = (): void => {
    c.h = 0;
    c.mi = 0;
    if (++c.d > daysInMonth(c.y, c.mo)) nextMonth();
  };
  while (c.y <= limit) {
    if (!s.months[c.mo]) nextMonth();
    else if (!dayMatches(s, c.y, c.mo, c.d)) nextDay();
    else if (!s.hours[c.h]) {
      c.mi = 0;
      if (++c.h > 23) nextDay();
    } else if (!s.minutes[c.mi]) {
      if (++c.mi > 59) {
        c.mi = 0;
        if (++c.h > 23) nextDay();
      }
    } else return cursorMs(c);
  }
  return undefined;
}

/**
 * The most recent tick at or before `atMs`, or undefined if there is none in the previous ten years.
 * @throws CronError when given an invalid schedule string.
 */
export function lastTick(schedule: CronSchedule | string, atMs: number): number | undefined {
  const s = asSchedule(schedule);
  const c = cursorAt(Math.floor(atMs / MINUTE_MS) * MINUTE_MS);
  const limit = c.y - SEARCH_YEARS;
  const prevMonth = (): void => {
    c.mo -= 1;
    if (c.mo < 1) {
      c.mo = 12;
      c.y -= 1;
    }
    c.d = daysInMonth(c.y, c.mo);
    c.h = 23;
    c.mi = 59;
  };
  const prevDay = (): void => {
    c.h = 23;
    c.mi = 59;
    if (--c.d < 1) prevMonth();
  };
  while (c.y >= limit) {
    if (!s.months[c.mo]) prevMonth();
    else if (!dayMatches(s, c.y, c.mo, c.d)) prevDay();
    else if (!s.hours[c.h]) {
      c.mi = 59;
      if (--c.h < 0) prevDay();
    } else if (!s.minutes[c.mi]) {
      if (--c.mi < 0) {
        c.mi = 59;
        if (--c.h < 0) prevDay();
      }
    } else return cursorMs(c);
  }
  return undefined;
}

/**
 * Whether a window of `durationMs` opened by the schedule is open at `nowMs`: the most recent tick at
 * or before now is less than `durationMs` ago. A tick exactly `durationMs` ago has closed, matching
 * Karpenter's budget check (`schedule.Next(now - duration) <= now`).
 * @throws CronError when given an invalid schedule string.
 */
export function isWindowActive(schedule: CronSchedule | string, durationMs: number, nowMs: number): boolean {
  const last = lastTick(schedule, nowMs);
  return last !== undefined && nowMs - last < durationMs;
}
