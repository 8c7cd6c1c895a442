import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyMergePatch, copyJson, copyJsonReusing, deepFreeze, JsonValueError, jsonEqual } from './json.js';

describe('copyJson', () => {
  it('copies deeply with JSON semantics', () => {
    const src = { a: { b: [1, { c: 'x' }] }, gone: undefined, arr: [undefined, true, null] };
    const copy = copyJson(src);
    assert.deepEqual(copy, { a: { b: [1, { c: 'x' }] }, arr: [null, true, null] });
    assert.notEqual(copy.a, src.a);
    assert.notEqual(copy.a.b[1], src.a.b[1]);
  });
  it('refuses values JSON cannot carry, naming where', () => {
    assert.throws(() => copyJson({ metadata: { when: new Date() } }), (e: unknown) => e instanceof JsonValueError && e.path === 'metadata.when');
    assert.throws(() => copyJson({ spec: { n: [1, Number.NaN] } }), /spec\.n\[1\]: NaN/);
    assert.throws(() => copyJson({ f: () => 1 }), /a function/);
    assert.throws(() => copyJson({ m: new Map() }), /Map/);
  });
  it('keeps a "__proto__" key as an own key, as JSON.parse does', () => {
    const v = JSON.parse('{"requests":{"cpu":"1","__proto__":{"x":1}}}') as unknown;
    const copy = copyJson(v);
    assert.deepEqual(Object.keys((copy as { requests: object }).requests), ['cpu', '__proto__']);
    assert.equal(Object.getPrototypeOf((copy as { requests: object }).requests), Object.prototype);
    assert.equal(JSON.stringify(copy), JSON.stringify(v));
  });
  it('round-trips like JSON for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      assert.deepEqual(copyJson(v), JSON.parse(JSON.stringify(v)));
    }));
  });
});

/** Every object or array reachable in `v`. */
function nodesOf(v: unknown, out = new Set<object>()): Set<object> {
  if (typeof v === 'object' && v !== null) {
    out.add(v);
    for (const x of Object.values(v)) nodesOf(x, out);
  }
  return out;
}

/** `before` with some of its subtrees replaced by `fresh` ones (a new version of a stored object): the rest is shared. */
function nextVersion(before: unknown, fresh: unknown[], pick: () => number): unknown {
  if (typeof before !== 'object' || before === null) return before;
  const choice = pick();
  if (choice === 0) return before;
  if (choice === 1 && fresh.length > 0) return fresh.pop();
  if (Array.isArray(before)) return before.map((x) => nextVersion(x, fresh, pick));
  return Object.fromEntries(Object.entries(before).map(([k, x]) => [k, nextVersion(x, fresh, pick)]));
}

describe('copyJsonReusing', () => {
  it('is copyJson, sharing the earlier copy exactly where the value shares the earlier value', () => {
    const object = fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(fc.property(object, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.array(fc.nat(3), { minLength: 1 }), (before, fresh, picks) => {
      let i = 0;
      const next = nextVersion(before, [...fresh], () => picks[i++ % picks.length]!);
      // A stored version is an object: a draw that replaced the whole object by a scalar or null is no case.
      fc.pre(typeof next === 'object' && next !== null);
      const value = next;
      const beforeCopy = copyJson(before);
      const copy = copyJsonReusing(value, before, beforeCopy);
      assert.deepEqual(copy, JSON.parse(JSON.stringify(value)));
      const valueNodes = nodesOf(value);
      const sharedBefore = new Set([...nodesOf(before)].filter((n) => valueNodes.has(n)));
      const fromEarlierCopy = new Set([...nodesOf(copy)].filter((n) => nodesOf(beforeCopy).has(n)));
      // Each subtree taken from the earlier copy is the copy of a subtree the value shares with before, and vice versa.
      assert.equal(fromEarlierCopy.size, [...sharedBefore].filter((n) => n !== value).length);
      for (const n of nodesOf(copy)) assert.ok(!valueNodes.has(n), 'no node of the value itself is handed out');
    }));
  });
  it('names the path of a non-JSON value, as copyJson does', () => {
    const before = { spec: { a: 1 }, status: { b: 2 } };
    assert.throws(() => copyJsonReusing({ spec: before.spec, status: { b: Number.NaN } }, before, copyJson(before)), /status\.b: NaN/);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and undefined fields', () => {
    assert.ok(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
    assert.ok(jsonEqual({ a: 1, u: undefined }, { a: 1 }));
    assert.ok(!jsonEqual({ a: 1 }, { a: 2 }));
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual({ a: [] }, { a: {} }));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!jsonEqual(null, {}));
  });
  it('agrees with comparing canonical JSON', () => {
    const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
      assert.equal(jsonEqual(a, b), canon(a) === canon(b));
      assert.ok(jsonEqual(a, copyJson(a)));
    }));
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(applyMergePatch(target, patch), expected);
    });
  }
  it('leaves the target untouched and copies what it takes from the patch', () => {
    const target = deepFreeze({ keep: { x: 1 }, change: { y: 2 } });
    const patch = { change: { z: [1] } };
    const out = applyMergePatch(target, patch) as { keep: unknown; change: { z: number[] } };
    assert.equal(out.keep, target.keep, 'untouched subtree shared');
    patch.change.z.push(2);
    assert.deepEqual(out.change.z, [1]);
  });
});

describe('deepFreeze', () => {
  it('makes nested mutation throw', () => {
    const o = deepFreeze({ a: { b: [1] } });
    assert.throws(() => { (o.a.b).push(2); }, TypeError);
  });
});

describe('copyJson and negative zero', () => {
  it('writes -0 as 0, as JSON does', () => {
    assert.ok(Object.is(copyJson<{ n: number }>({ n: -0 }).n, 0));
  });
});
