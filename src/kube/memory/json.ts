/**
 * Plain-JSON values: the only thing the embedded store holds. Copying in and out with these
 * functions gives callers the same guarantees as a round trip through an API server: no aliasing,
 * `undefined` fields dropped, non-JSON values refused.
 */

/** A value that cannot travel as JSON (a function, a Date, NaN...), with where it was found. */
export class JsonValueError extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path || '(root)'}: ${what} is not a JSON value`);
    this.name = 'JsonValueError';
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function copyAt(v: unknown, path: string): unknown {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new JsonValueError(path, String(v));
    return v === 0 ? 0 : v; // JSON has no negative zero: -0 is written as 0
  }
  if (typeof v !== 'object') throw new JsonValueError(path, `a ${typeof v}`);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      out[i] = item === undefined ? null : copyAt(item, `${path}[${i}]`);
    }
    return out;
  }
  if (!isPlainObject(v)) throw new JsonValueError(path, `a ${v.constructor?.name ?? 'non-plain'} object`);
  const out: Record<string, unknown> = {};
  for (const key in v) {
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const copy = copyAt(item, path ? `${path}.${key}` : key);
    // JSON.parse keeps "__proto__" as an own key; assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}

/** Thrown by copyFast at the first non-JSON value; copyJson then walks again to name its path. */
const NOT_JSON = new Error('not a JSON value');

/**
 * copyAt without the path: every stored object is copied on each read and each watch event, and
 * building a path string per field was most of the cost of copying.
 */
function copyFast(v: unknown): unknown {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw NOT_JSON;
    return v === 0 ? 0 : v;
  }
  if (typeof v !== 'object') throw NOT_JSON;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      out[i] = item === undefined ? null : copyFast(item);
    }
    return out;
  }
  if (!isPlainObject(v)) throw NOT_JSON;
  const out: Record<string, unknown> = {};
  for (const key in v) {
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const copy = copyFast(item);
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}

/**
 * A deep copy with JSON semantics (undefined object fields dropped, undefined array items null).
 * @throws JsonValueError naming the path of the first non-JSON value.
 */
export function copyJson<T>(value: T): T {
  try {
    return copyFast(value) as T;
  } catch (e) {
    if (e !== NOT_JSON) throw e;
    return copyAt(value, '') as T;
  }
}

/**
 * copyFast of the object or array `v`, taking `bc` (the copy of `b`) for each object or array in
 * `v` that is the very one at the same place in `b`: stored objects are immutable, so a subtree a
 * new version shares with the one before has the copy it had then. Only object-valued fields are
 * looked up in `b` (most fields are strings and numbers, copied as they are).
 */
function copyReusing(v: object, b: object, bc: object): unknown {
  if (Array.isArray(v)) {
    if (!Array.isArray(b)) return copyFast(v);
    const copies = bc as unknown[];
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== 'object' || item === null) out[i] = item === undefined ? null : copyFast(item);
      else out[i] = reuseAt(item, b[i], copies[i]);
    }
    return out;
  }
  if (Array.isArray(b) || !isPlainObject(v)) return copyFast(v);
  const before = b as Record<string, unknown>;
  const copies = bc as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in v) {
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    // An inherited "__proto__" of `before` is no earlier value.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copyFast(item), enumerable: true, writable: true, configurable: true });
    else if (typeof item !== 'object' || item === null) out[key] = copyFast(item);
    else out[key] = reuseAt(item, before[key], copies[key]);
  }
  return out;
}

function reuseAt(item: object, b: unknown, bc: unknown): unknown {
  if (item === b) return bc;
  return typeof b === 'object' && b !== null ? copyReusing(item, b, bc as object) : copyFast(item);
}

/**
 * copyJson(value) for a value made from `before` (an earlier version of a stored object) by
 * replacing some of its subtrees: the subtrees `value` shares with `before` take their copies
 * from `beforeCopy`, copyJson(before) made earlier, instead of being copied again. The result then
 * shares those subtrees with `beforeCopy`, so it is only for copies nobody modifies (watch events
 * shared by informers). `before` must not have changed since `beforeCopy` was made.
 * @throws JsonValueError naming the path of the first non-JSON value.
 */
export function copyJsonReusing<T extends object>(value: T, before: object, beforeCopy: object): T {
  try {
    return copyReusing(value, before, beforeCopy) as T;
  } catch (e) {
    if (e !== NOT_JSON) throw e;
    return copyAt(value, '') as T;
  }
}

/** Structural equality of two JSON values (key order ignored, undefined fields equal to absent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key in ao) {
    if (ao[key] === undefined) continue;
    count++;
    if (!jsonEqual(ao[key], bo[key])) return false;
  }
  for (const key in bo) if (bo[key] !== undefined) count--;
  return count === 0;
}

/**
 * RFC 7386 JSON merge patch: returns a new value; `target` is not modified and untouched subtrees
 * are shared with it (the store's objects are immutable, so sharing is safe).
 * @throws JsonValueError for a non-JSON value in the patch.
 */
export function applyMergePatch(target: unknown, patch: unknown, path = ''): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return copyAt(patch, path);
  if (!isPlainObject(patch)) throw new JsonValueError(path, 'a non-plain object');
  const base = typeof target === 'object' && target !== null && !Array.isArray(target)
    ? { ...(target as Record<string, unknown>) }
    : {};
  for (const key in patch) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (value === null) delete base[key];
    else base[key] = applyMergePatch(base[key], value, path ? `${path}.${key}` : key);
  }
  return base;
}

/** Freezes a JSON value all the way down (debug aid: makes accidental mutation of stored objects throw). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
