/**
 * Go-style durations ("720h", "1h30m", "1.5h", "500ms", "0s"), the format Kubernetes and Karpenter
 * use in their APIs, converted to and from milliseconds. The grammar is Go's `time.ParseDuration`:
 * an optional sign, then one or more decimal numbers each followed by a unit (ns, us, µs, ms, s, m, h),
 * or the bare "0". Karpenter's "Never" maps to Infinity where the caller allows it.
 */

/** The literal Karpenter uses for "this duration is disabled". */
export const NEVER = 'Never';

/** Thrown when a string is not a duration; `input` is the offending text. */
export class DurationError extends Error {
  readonly input: string;
  constructor(message: string, input: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DurationError';
    this.input = input;
  }
}

export interface ParseDurationOptions {
  /** Accept "Never" and return Infinity for it. Default false. */
  allowNever?: boolean;
}

const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const NS_PER_MS = 1_000_000n;
const TERM = /([0-9]*)(?:\.([0-9]*))?([a-zµμ]+)/y;

/**
 * Parses a Go duration into milliseconds (fractional for sub-millisecond units). "Never" becomes
 * Infinity only with `allowNever`.
 * @throws DurationError for anything else, with a message naming the text and what was expected.
 */
export function parseDuration(text: string, options: ParseDurationOptions = {}): number {
  if (typeof text !== 'string') {
    throw new DurationError(`parsing duration: expected a string, got ${typeof text}`, String(text));
  }
  if (text === NEVER) {
    if (options.allowNever) return Infinity;
    throw new DurationError(`parsing duration "${text}": "Never" is not allowed here`, text);
  }
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationError(`parsing duration "${text}": empty`, text);

  let totalNs = 0n;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const at = TERM.lastIndex;
    const match = TERM.exec(rest);
    if (!match) {
      throw new DurationError(
        `parsing duration "${text}": unexpected "${rest.slice(at)}"; expected a number and a unit such as "90s", "1h30m" or "1.5h"`,
        text,
      );
    }
    const [, whole = '', fraction = '', unit = ''] = match;
    if (whole === '' && fraction === '') {
      throw new DurationError(`parsing duration "${text}": a unit without a number`, text);
    }
    const unitNs = NS_PER_UNIT[unit];
    if (unitNs === undefined) {
      throw new DurationError(
        `parsing duration "${text}": unknown unit "${unit}"; use ns, us, ms, s, m or h`,
        text,
      );
    }
    totalNs += BigInt(whole === '' ? '0' : whole) * unitNs;
    if (fraction !== '') {
      // Truncated towards zero at nanosecond precision, as Go does.
      totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    }
  }
  const ms = Number(totalNs / NS_PER_MS) + Number(totalNs % NS_PER_MS) / 1e6;
  return negative ? -ms : ms;
}

/**
 * Formats milliseconds as a compact Go duration that `parseDuration` (and Go) read back to the same
 * value: "720h", "1h30m", "90s" → "1m30s", "1.5s", "500ms", "0s"; Infinity → "Never".
 * Sub-millisecond fractions are kept to the nanosecond.
 * @throws DurationError for NaN or -Infinity.
 */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return NEVER;
  if (!Number.isFinite(ms)) throw new DurationError(`formatting duration: ${ms} is not a duration`, String(ms));
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const wholeMs = Math.trunc(ms);
  const ns = BigInt(wholeMs) * NS_PER_MS + BigInt(Math.round((ms - wholeMs) * 1e6));
  if (ns === 0n) return '0s';
  if (ns < NS_PER_UNIT.s!) {
    if (ns < 1_000n) return `${ns}ns`;
    if (ns < NS_PER_MS) return `${decimal(ns, 1_000n)}us`;
    return `${decimal(ns, NS_PER_MS)}ms`;
  }
  const hours = ns / NS_PER_UNIT.h!;
  const minutes = (ns % NS_PER_UNIT.h!) / NS_PER_UNIT.m!;
  const secondsNs = ns % NS_PER_UNIT.m!;
  let out = '';
  if (hours > 0n) out += `${hours}h`;
  if (minutes > 0n) out += `${minutes}m`;
  if (secondsNs > 0n) out += `${decimal(secondsNs, NS_PER_UNIT.s!)}s`;
  return out;
}

/** `value / unit` as a decimal string without trailing zeros ("1.5", "500", "0.000001"). */
function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const remainder = value % unit;
  if (remainder === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  return `${whole}.${remainder.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
