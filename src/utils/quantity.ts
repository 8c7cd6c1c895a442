/**
 * Kubernetes resource.Quantity, parsed exactly.
 *
 * Grammar (as apimachinery's ParseQuantity): optional sign, digits with an optional fraction
 * ("5", "5.", ".5", "5.25"), then one optional suffix: binary Ki Mi Gi Ti Pi Ei; decimal n u m k M G T
 * P E; or a decimal exponent e/E with optional sign and digits ("2e3", "1E-3"). As in Kubernetes,
 * values finer than 1n are rounded up (away from zero) to the next nano, and positive binary-suffixed
 * values are capped at 2^63-1. A string needs at least one digit ("Mi", ".", "-" are rejected, which
 * apimachinery's lenient scanner may not do), and a value of 10^100 or more is rejected (Kubernetes has
 * no such bound; nothing real is that large, and it keeps bigint work bounded).
 *
 * Hot callers use `resourceAmount`, which computes with plain numbers when that is exact and falls
 * back to bigint otherwise; both paths give the same result.
 */

/** An input that is not a valid quantity, or a value outside what the caller can represent. */
export class QuantityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuantityError';
  }
}

/** value = numerator / 10^scale. Values from `parseQuantity` use the smallest scale (0..9). */
export interface ExactQuantity {
  readonly numerator: bigint;
  readonly scale: number;
}

/** A quantity string split into parts, positions into the input; `mantissa` is exact only when <= MAX_SAFE. */
interface Scanned {
  readonly negative: boolean;
  readonly intStart: number;
  readonly intEnd: number;
  readonly fracStart: number;
  readonly fracEnd: number;
  readonly mantissa: number;
  /** Power of ten from a decimal suffix or exponent (fraction digits not included). */
  readonly exp10: number;
  /** Power of two from a binary suffix. */
  readonly exp2: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_INT64 = (1n << 63n) - 1n;
const MAX_DIGITS = 100;
const NANO_SCALE = 9;
const POW10: readonly number[] = Array.from({ length: 16 }, (_, i) => 10 ** i);
const GRAMMAR = 'want digits with an optional fraction and one optional suffix: Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent such as e3';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function invalid(input: string, why: string): QuantityError {
  return new QuantityError(`invalid quantity "${input}": ${why} (${GRAMMAR})`);
}

/** Powers of ten / two of the single-letter suffixes, keyed by char code; binary ones need a following "i". */
const byCharCode = (table: Record<string, number>): ReadonlyMap<number, number> =>
  new Map(Object.entries(table).map(([ch, e]) => [ch.charCodeAt(0), e]));
const DECIMAL_SUFFIX = byCharCode({ n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 });
const BINARY_SUFFIX = byCharCode({ K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 });
const CHAR_I = 105;
const CHAR_E_LOWER = 101;
const CHAR_E_UPPER = 69;

function scan(s: string): Scanned {
  const n = s.length;
  if (n === 0) throw invalid(s, 'empty');
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 45 /* - */) { negative = true; i++; } else if (first === 43 /* + */) i++;
  let mantissa = 0;
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) mantissa = mantissa * 10 + (s.charCodeAt(i++) - 48);
  const intEnd = i;
  let fracStart = i;
  if (i < n && s.charCodeAt(i) === 46 /* . */) {
    fracStart = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) mantissa = mantissa * 10 + (s.charCodeAt(i++) - 48);
  }
  const fracEnd = i;
  if (intEnd === intStart && fracEnd === fracStart) throw invalid(s, 'no digits');
  let exp10 = 0;
  let exp2 = 0;
  if (i < n) {
    const c = s.charCodeAt(i);
    const rest = n - i;
    const binary = BINARY_SUFFIX.get(c);
    const decimal = DECIMAL_SUFFIX.get(c);
    if (rest === 2 && binary !== undefined && s.charCodeAt(i + 1) === CHAR_I) exp2 = binary;
    else if (rest === 1 && decimal !== undefined) exp10 = decimal;
    else if (c === CHAR_E_LOWER || c === CHAR_E_UPPER) exp10 = scanExponent(s, i + 1);
    else throw invalid(s, `bad suffix "${s.slice(i)}"`);
  }
  return { negative, intStart, intEnd, fracStart, fracEnd, mantissa, exp10, exp2 };
}

function scanExponent(s: string, start: number): number {
  let i = start;
  const sign = s.charCodeAt(i);
  if (sign === 43 || sign === 45) i++;
  const digitsStart = i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === digitsStart || i !== s.length) throw invalid(s, `bad exponent "${s.slice(start - 1)}"`);
  return Number(s.slice(start)); // "+3" and "-3" parse; a huge exponent becomes a huge number, caught later
}

function exactFromScan(s: string, sc: Scanned): ExactQuantity {
  let num = BigInt(s.slice(sc.intStart, sc.intEnd) + s.slice(sc.fracStart, sc.fracEnd));
  if (num === 0n) return { numerator: 0n, scale: 0 };
  if (sc.exp2 > 0) num <<= BigInt(sc.exp2);
  const e = sc.exp10 - (sc.fracEnd - sc.fracStart);
  let scale = 0;
  if (e >= 0) {
    if (num.toString().length + e > MAX_DIGITS) throw new QuantityError(`quantity "${s}" is out of range (10^${MAX_DIGITS} or more)`);
    num *= 10n ** BigInt(e);
  } else if (-e > NANO_SCALE) {
    // Kubernetes rounds sub-nano precision up, away from zero, so any non-zero amount stays non-zero.
    const drop = -e - NANO_SCALE;
    if (drop > num.toString().length) num = 1n;
    else {
      const d = 10n ** BigInt(drop);
      num = num % d === 0n ? num / d : num / d + 1n;
    }
    scale = NANO_SCALE;
  } else scale = -e;
  if (sc.exp2 > 0 && !sc.negative && num > MAX_INT64 * 10n ** BigInt(scale)) return { numerator: MAX_INT64, scale: 0 };
  while (scale > 0 && num % 10n === 0n) { num /= 10n; scale--; }
  return { numerator: sc.negative ? -num : num, scale };
}

function numberToString(input: number): string {
  if (!Number.isFinite(input)) throw new QuantityError(`invalid quantity ${String(input)}: not a finite number`);
  return String(input); // shortest round-trip form, e.g. "1e+21", "5e-7": all inside the grammar
}

/**
 * Parses a quantity exactly. A number is read through its shortest decimal form (0.1 is exactly 1/10).
 * Negative values parse; callers reject them where they make no sense.
 * @throws QuantityError naming the input when it is not a valid quantity or is 10^100 or more.
 */
export function parseQuantity(input: string | number): ExactQuantity {
  const s = typeof input === 'number' ? numberToString(input) : input;
  return exactFromScan(s, scan(s));
}

/** Total order on values: -1 when a < b, 0 when equal (whatever the scales), 1 when a > b. */
export function compareQuantities(a: ExactQuantity, b: ExactQuantity): -1 | 0 | 1 {
  let x = a.numerator;
  let y = b.numerator;
  if (a.scale < b.scale) x *= 10n ** BigInt(b.scale - a.scale);
  else if (b.scale < a.scale) y *= 10n ** BigInt(a.scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The value in decimal notation ("1.5", "-0.001", "1024"), which parses back to the same quantity. */
export function quantityToString(q: ExactQuantity): string {
  const neg = q.numerator < 0n;
  const digits = (neg ? -q.numerator : q.numerator).toString();
  if (q.scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-q.scale);
  const padded = digits.padStart(q.scale + 1, '0');
  const int = padded.slice(0, padded.length - q.scale);
  const frac = padded.slice(padded.length - q.scale).replace(/0+$/, '');
  return (neg ? '-' : '') + int + (frac ? `.${frac}` : '');
}

function ceilTimesPow10(q: ExactQuantity, power: number, what: string): number {
  const shift = power - q.scale;
  let r: bigint;
  if (shift >= 0) r = q.numerator * 10n ** BigInt(shift);
  else {
    const d = 10n ** BigInt(-shift);
    r = q.numerator / d; // truncates toward zero: already the ceiling for negatives
    if (q.numerator % d > 0n) r += 1n;
  }
  if (r > BigInt(MAX_SAFE) || r < -BigInt(MAX_SAFE)) {
    throw new QuantityError(`quantity ${quantityToString(q)} is too large: ${what} exceed ${MAX_SAFE}`);
  }
  return Number(r);
}

/**
 * ceil(value × 1000), as Kubernetes' MilliValue rounds up.
 * @throws QuantityError when the result is beyond ±Number.MAX_SAFE_INTEGER.
 */
export function quantityToMilli(q: ExactQuantity): number {
  return ceilTimesPow10(q, 3, 'thousandths');
}

/**
 * ceil(value), as Kubernetes' Value rounds up.
 * @throws QuantityError when the result is beyond ±Number.MAX_SAFE_INTEGER.
 */
export function quantityToUnits(q: ExactQuantity): number {
  return ceilTimesPow10(q, 0, 'units');
}

/**
 * ceil(value × 10^power) with plain numbers, or undefined when that might not be exact (negative,
 * more than 15 significant digits, or a result past MAX_SAFE) and the bigint path must decide.
 * Sub-nano rounding cannot change a ceiling to a coarser grid for positive values, so it is skipped here.
 */
function fastCeil(sc: Scanned, power: number): number | undefined {
  if (sc.negative || sc.mantissa > MAX_SAFE) return undefined;
  const n = sc.mantissa * 2 ** sc.exp2; // power-of-two scaling is exact
  if (n > MAX_SAFE) return undefined;
  const e = sc.exp10 - (sc.fracEnd - sc.fracStart) + power;
  if (e >= 0) {
    if (e > 15) return n === 0 ? 0 : undefined;
    const r = n * POW10[e]!;
    return r <= MAX_SAFE ? r : undefined; // a rounded product below MAX_SAFE was exact
  }
  if (e < -15) return n === 0 ? 0 : 1; // 0 < n < 10^16 ≤ 10^-e: the value is in (0, 1)
  const d = POW10[-e]!;
  const rem = n % d; // % on doubles is exact
  const q = (n - rem) / d;
  return rem > 0 ? q + 1 : q;
}

/**
 * The amount a ResourceList holds for `resource`: millicores for cpu, whole base units (rounded up)
 * for everything else. Negative inputs give negative amounts.
 * @throws QuantityError whose message starts with the resource name, for an invalid quantity or an
 *   amount beyond Number.MAX_SAFE_INTEGER.
 */
export function resourceAmount(resource: string, input: string | number): number {
  const power = resource === 'cpu' ? 3 : 0;
  if (typeof input === 'string') {
    const cache = power === 3 ? milliCache : unitCache;
    const hit = cache.get(input);
    if (hit !== undefined) return hit;
    const amount = computeAmount(resource, power, input);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(input, amount);
    return amount;
  }
  return computeAmount(resource, power, input);
}

// Workloads repeat a handful of quantity strings ("100m", "1Gi") across thousands of pods; remembering
// them keeps the per-pod cost low even before the JIT has warmed up. Bounded, so a stream of distinct
// strings cannot grow it without limit; errors are not cached (they throw before `set`).
const CACHE_LIMIT = 4096;
const milliCache = new Map<string, number>();
const unitCache = new Map<string, number>();

function computeAmount(resource: string, power: number, input: string | number): number {
  try {
    if (typeof input === 'number') {
      if (Number.isSafeInteger(input)) {
        const r = power === 3 ? input * 1000 : input;
        if (Number.isSafeInteger(r)) return r || 0; // `|| 0` turns -0 into 0
      }
      const q = parseQuantity(input);
      return power === 3 ? quantityToMilli(q) : quantityToUnits(q);
    }
    const sc = scan(input);
    const fast = fastCeil(sc, power);
    if (fast !== undefined) return fast;
    const q = exactFromScan(input, sc);
    return power === 3 ? quantityToMilli(q) : quantityToUnits(q);
  } catch (err) {
    if (err instanceof QuantityError) throw new QuantityError(`${resource}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Whether a resource is measured in bytes (memory, storage, hugepages) rather than counted. */
export function isByteResource(resource: string): boolean {
  return resource === 'memory' || resource === 'ephemeral-storage' || resource === 'storage' || resource.startsWith('hugepages-');
}

const BINARY_UNITS: readonly (readonly [string, number])[] = [
  ['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10],
];

/**
 * The inverse of `resourceAmount` for display, exact for safe integers: cpu millicores → "1500m" or
 * "2"; byte amounts → the largest binary suffix that divides exactly ("512Mi", "1Gi") or plain bytes;
 * counts → "110". `resourceAmount(r, formatResourceAmount(r, x)) === x` for every safe integer x.
 */
export function formatResourceAmount(resource: string, amount: number): string {
  if (amount === 0) return '0';
  if (resource === 'cpu') return amount % 1000 === 0 ? String(amount / 1000) : `${amount}m`;
  if (isByteResource(resource) && Number.isInteger(amount)) {
    for (const [suffix, size] of BINARY_UNITS) {
      if (amount % size === 0) return `${amount / size}${suffix}`;
    }
  }
  return String(amount);
}
