/**
 * structuredClone for the plain data the simulated cloud hands out (NodeClaims): the same result
 * on trees of plain objects, arrays and primitives (undefined-valued keys kept), several times
 * faster. Anything else (a Date, a Map, a class instance) goes through structuredClone itself.
 * The garbage collector lists every machine each sweep, so each listed claim is copied.
 */
export function cloneData<T>(value: T): T {
  return copy(value) as T;
}

/** cloneData, then frozen all the way down: a copy that can be handed to many readers. */
export function frozenCopy<T>(value: T): T {
  return freeze(copy(value)) as T;
}

function freeze(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const key of Object.keys(v)) freeze((v as Record<string, unknown>)[key]);
  return v;
}

function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    const item = copy((v as Record<string, unknown>)[key]);
    // Assignment to "__proto__" would set the prototype instead of an own key.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
