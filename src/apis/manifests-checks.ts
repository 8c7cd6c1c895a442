/**
 * Small shape checks for objects read from YAML: each check records a problem at a field path and
 * tells the caller whether the value had the expected shape, so the next check can rely on it.
 * Used by the per-kind checks in manifests-shapes.ts; no I/O.
 */
import { QuantityError, resourceAmount } from '../utils/quantity.js';

/** A problem with one field of one object, before the file and document are known. */
export interface FieldProblem {
  /** Dotted field path inside the object: "spec.template.spec.containers[0].resources.requests.cpu". */
  readonly path: string;
  readonly message: string;
}

/** A plain YAML mapping. */
export type Json = Record<string, unknown>;

export function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `path.key1.key2`, with indices as `[i]` and keys that are not plain identifiers as `["key"]`. */
export function childPath(path: string, ...keys: (string | number)[]): string {
  let out = path;
  for (const key of keys) {
    if (typeof key === 'number') out = `${out}[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out = out === '' ? key : `${out}.${key}`;
    else out = `${out}[${JSON.stringify(key)}]`;
  }
  return out;
}

/** Collects problems; every method returns whether the value is usable as the named shape. */
export class Checker {
  readonly problems: FieldProblem[] = [];

  fail(path: string, message: string): false {
    this.problems.push({ path, message });
    return false;
  }

  /** A mapping; `required` reports a missing one. */
  map(value: unknown, path: string, required = false): value is Json {
    if (value === undefined || value === null) return required ? this.fail(path, 'is required') : false;
    return isMap(value) || this.fail(path, `must be a mapping, got ${describe(value)}`);
  }

  /** A list; `required` reports a missing one. */
  list(value: unknown, path: string, required = false): value is unknown[] {
    if (value === undefined || value === null) return required ? this.fail(path, 'is required') : false;
    return Array.isArray(value) || this.fail(path, `must be a list, got ${describe(value)}`);
  }

  string(value: unknown, path: string, required = false): value is string {
    if (value === undefined || value === null) return required ? this.fail(path, 'is required') : false;
    if (typeof value !== 'string') return this.fail(path, `must be a string, got ${describe(value)}${quoteHint(value)}`);
    return value !== '' || !required || this.fail(path, 'must not be empty');
  }

  /** One of `allowed` (optional unless `required`). */
  oneOf(value: unknown, path: string, allowed: readonly string[], required = false): boolean {
    if (!this.string(value, path, required)) return false;
    return allowed.includes(value) || this.fail(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }

  /** An integer ≥ min (optional unless `required`). */
  integer(value: unknown, path: string, min: number, required = false): value is number {
    if (value === undefined || value === null) return required ? this.fail(path, 'is required') : false;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
      return this.fail(path, `must be ${what}, got ${describe(value)}`);
    }
    return true;
  }

  boolean(value: unknown, path: string): boolean {
    if (value === undefined || value === null) return false;
    return typeof value === 'boolean' || this.fail(path, `must be true or false, got ${describe(value)}`);
  }

  /** A mapping of strings to strings (labels, annotations, nodeSelector). */
  stringMap(value: unknown, path: string): boolean {
    if (!this.map(value, path)) return false;
    let ok = true;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== 'string') ok = this.fail(childPath(path, key), `must be a string, got ${describe(v)}${quoteHint(v)}`);
    }
    return ok;
  }

  /** A mapping of resource names to Kubernetes quantities ("500m", "1Gi", 2). */
  quantities(value: unknown, path: string): boolean {
    if (!this.map(value, path)) return false;
    let ok = true;
    for (const [resource, q] of Object.entries(value)) {
      const at = childPath(path, resource);
      if (typeof q !== 'string' && typeof q !== 'number') {
        ok = this.fail(at, `must be a quantity such as "500m" or "1Gi", got ${describe(q)}`);
        continue;
      }
      try {
        if (resourceAmount(resource, q) < 0) ok = this.fail(at, `must not be negative, got ${JSON.stringify(q)}`);
      } catch (err) {
        if (!(err instanceof QuantityError)) throw err;
        ok = this.fail(at, `is not a valid quantity: ${JSON.stringify(q)}`);
      }
    }
    return ok;
  }

  /** Each element of a list, with its path. Reports a non-list. */
  each(value: unknown, path: string, visit: (item: unknown, path: string) => void, required = false): void {
    if (!this.list(value, path, required)) return;
    value.forEach((item, i) => visit(item, childPath(path, i)));
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

/** YAML turns `version: 1` or `enabled: true` into non-strings; say how to keep them strings. */
function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? ' (quote it to make it a string)' : '';
}
