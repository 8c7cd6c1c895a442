/**
 * The strict reader every part of the scenario is read with: each mapping declares its fields and
 * any other key is a problem; each value is checked where it is read and recorded at its field
 * path. Reading never throws for bad input: a bad value is reported and read as undefined.
 */
import { Checker, childPath, isMap } from '../../apis/manifests-checks.js';
import type { Json } from '../../apis/manifests-checks.js';
import { DurationError, parseDuration } from '../../utils/duration.js';
import { QuantityError, resourceAmount } from '../../utils/quantity.js';

export { childPath } from '../../apis/manifests-checks.js';

/** The fields of one mapping, read by name; construction reports every undeclared key. */
export class Fields<K extends string> {
  readonly #value: Json;
  readonly path: string;

  constructor(value: Json, path: string) {
    this.#value = value;
    this.path = path;
  }

  get(key: K): unknown {
    return Object.hasOwn(this.#value, key) ? this.#value[key] : undefined;
  }

  has(key: K): boolean {
    const v = this.get(key);
    return v !== undefined && v !== null;
  }

  at(key: K, ...more: (string | number)[]): string {
    return childPath(this.path, key, ...more);
  }
}

/** Collects problems while reading; knows the horizon once it has been read. */
export class Reader extends Checker {
  /** Set after `horizon` is read; times are checked against it. Infinity while unknown. */
  horizonMs = Infinity;
  /** The horizon as written, for messages. */
  horizonText = '';

  /**
   * A mapping with exactly the declared fields. Reports a non-mapping (or a missing one when
   * required) and every undeclared key, with a suggestion when it is a near miss.
   */
  fields<K extends string>(value: unknown, path: string, keys: readonly K[], required = false): Fields<K> | undefined {
    if (!this.map(value, path, required)) return undefined;
    for (const key of Object.keys(value)) {
      if ((keys as readonly string[]).includes(key)) continue;
      const near = keys.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = near !== undefined ? `did you mean "${near}"?` : `expected ${keys.length === 1 ? '' : 'one of '}${keys.join(', ')}`;
      this.fail(childPath(path, key), `unknown field; ${hint}`);
    }
    return new Fields<K>(value, path);
  }

  /** The items of a list (absent: empty), each read by `read`; unreadable items are left out. */
  items<T>(value: unknown, path: string, read: (item: unknown, path: string) => T | undefined, required = false): T[] {
    const out: T[] = [];
    this.each(value, path, (item, p) => {
      const read1 = read(item, p);
      if (read1 !== undefined) out.push(read1);
    }, required);
    return out;
  }

  /** A finite number within [min, max]. */
  number(value: unknown, path: string, min: number, max = Infinity, required = false): number | undefined {
    if (value === undefined || value === null) return required ? this.#none(path, 'is required') : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const range = max === Infinity ? `≥ ${min}` : `between ${min} and ${max}`;
      return this.#none(path, `must be a number ${range}, got ${show(value)}`);
    }
    return value;
  }

  /** An integer ≥ min, as a value (see Checker.integer for the messages). */
  int(value: unknown, path: string, min: number, required = false): number | undefined {
    return this.integer(value, path, min, required) ? value : undefined;
  }

  /** A non-empty string, as a value. */
  str(value: unknown, path: string, required = false): string | undefined {
    if (!this.string(value, path, required)) return undefined;
    return value === '' ? this.#none(path, 'must not be empty') : value;
  }

  /** One of `allowed`, as a value. */
  choice<T extends string>(value: unknown, path: string, allowed: readonly T[], required = false): T | undefined {
    return this.oneOf(value, path, allowed, required) ? (value as T) : undefined;
  }

  /** A non-negative Go duration ("90s", "1h30m") in milliseconds; the number 0 is allowed too. */
  duration(value: unknown, path: string, required = false, allowZero = true): number | undefined {
    if (value === undefined || value === null) return required ? this.#none(path, 'is required') : undefined;
    if (value === 0) return allowZero ? 0 : this.#none(path, 'must be longer than 0s');
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' ? ` (add a unit: "${value}s", "${value}m" or "${value}h")` : '';
      return this.#none(path, `must be a duration such as "90s" or "1h30m", got ${show(value)}${hint}`);
    }
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      return this.#none(path, `is not a duration: ${err.message}`);
    }
    if (ms < 0) return this.#none(path, `must not be negative, got "${value}"`);
    if (ms === 0 && !allowZero) return this.#none(path, 'must be longer than 0s');
    return ms;
  }

  /** A time: a duration from the start of the simulation, not past the horizon. */
  time(value: unknown, path: string, required = false): number | undefined {
    const ms = this.duration(value, path, required);
    if (ms === undefined) return undefined;
    if (ms > this.horizonMs) return this.#none(path, `is past the horizon (${show(value)} > ${this.horizonText})`);
    return ms;
  }

  /** One resource quantity ("500m", "1Gi", 2) as an amount (millicores for cpu, else units). */
  quantity(resource: string, value: unknown, path: string, required = false): number | undefined {
    if (value === undefined || value === null) return required ? this.#none(path, 'is required') : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      return this.#none(path, `must be a quantity such as "500m" or "10Gi", got ${show(value)}`);
    }
    try {
      const amount = resourceAmount(resource, value);
      return amount < 0 ? this.#none(path, `must not be negative, got ${show(value)}`) : amount;
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      return this.#none(path, `is not a valid quantity: ${show(value)}`);
    }
  }

  /** A list of non-empty strings, or undefined when absent; `nonEmpty` rejects []. */
  strings(value: unknown, path: string, nonEmpty = false): string[] | undefined {
    if (!this.list(value, path)) return undefined;
    if (nonEmpty && value.length === 0) return this.#none(path, 'must not be empty');
    const out: string[] = [];
    value.forEach((v, i) => {
      const s = this.str(v, childPath(path, i), true);
      if (s !== undefined) out.push(s);
    });
    return out.length === value.length ? out : undefined;
  }

  /** A string-to-string mapping (labels, nodeSelector), or undefined when absent or bad. */
  labels(value: unknown, path: string): Record<string, string> | undefined {
    return this.stringMap(value, path) ? { ...(value as Record<string, string>) } : undefined;
  }

  #none(path: string, message: string): undefined {
    this.fail(path, message);
    return undefined;
  }
}

/** A value as it appears in a message. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMap(value)) return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

/** Levenshtein distance, for "did you mean" hints on short field names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
