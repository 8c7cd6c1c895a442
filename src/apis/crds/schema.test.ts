import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applySchemaDefaults, validateAgainstSchema } from './schema-validate.js';
import { array, celList, celString, integer, intOrString, map, object, required, rule, string, toOpenAPI, transitionRule, withRules } from './schema.js';

describe('schema builders', () => {
  it('build plain JSONSchemaProps with required properties listed in order', () => {
    const s = object({ a: required(string({ pattern: /^x+$/ })), b: integer({ minimum: 1 }), c: required(array(string(), { maxItems: 2, listType: 'set' })) });
    assert.deepEqual(toOpenAPI(s), {
      type: 'object',
      properties: {
        a: { type: 'string', pattern: '^x+$' },
        b: { type: 'integer', minimum: 1 },
        c: { type: 'array', items: { type: 'string' }, maxItems: 2, 'x-kubernetes-list-type': 'set' },
      },
      required: ['a', 'c'],
    });
  });

  it('write rules as rule, message and fieldPath only; predicates stay in TypeScript', () => {
    const r = rule<{ a?: string }>('has(self.a)', 'a is needed', (s) => s.a !== undefined, { fieldPath: '.a' });
    const s = withRules(object({ a: string() }), r, transitionRule<string>('self == oldSelf', 'immutable', (s, o) => s === o));
    assert.deepEqual(toOpenAPI(s)['x-kubernetes-validations'], [
      { rule: 'has(self.a)', message: 'a is needed', fieldPath: '.a' },
      { rule: 'self == oldSelf', message: 'immutable' },
    ]);
    assert.equal(r.transition, false);
  });

  it('quote CEL strings', () => {
    assert.equal(celString("it's \\d"), "'it\\'s \\\\d'");
    assert.equal(celList(['a', 'b']), "['a', 'b']");
  });

  it('copy defaults, so a later edit of the source does not leak in', () => {
    const source = { x: 1 };
    const s = object({}, { default: source });
    source.x = 2;
    assert.deepEqual(s.default, { x: 1 });
  });
});

describe('applySchemaDefaults (the apiextensions algorithm)', () => {
  const schema = object({
    outer: object(
      { policy: string({ default: 'P' }), list: array(object({ n: string({ default: '10%' }), s: string() }), { default: [{}] }) },
      { default: {} },
    ),
    byName: map(object({ v: integer({ default: 7 }) })),
    kept: string({ default: 'd' }),
  });

  it('fills a missing or null property, then defaults inside what it filled', () => {
    assert.deepEqual(applySchemaDefaults(schema, {}), { outer: { policy: 'P', list: [{ n: '10%' }] }, kept: 'd' });
    assert.deepEqual(applySchemaDefaults(schema, { kept: null }), { outer: { policy: 'P', list: [{ n: '10%' }] }, kept: 'd' });
  });

  it('defaults inside list items and map values, keeps present values, leaves the input alone', () => {
    const input = { outer: { list: [{ s: 'x' }, { n: '5' }] }, byName: { a: {}, b: { v: 1 } }, kept: 'mine' };
    const before = structuredClone(input);
    assert.deepEqual(applySchemaDefaults(schema, input), {
      outer: { policy: 'P', list: [{ s: 'x', n: '10%' }, { n: '5' }] },
      byName: { a: { v: 7 }, b: { v: 1 } },
      kept: 'mine',
    });
    assert.deepEqual(input, before);
  });

  it('leaves values of the wrong shape for validation', () => {
    assert.deepEqual(applySchemaDefaults(schema, { outer: 'x', byName: [] }), { outer: 'x', byName: [], kept: 'd' });
  });
});

describe('validateAgainstSchema', () => {
  const item = object(
    { key: required(string({ maxLength: 3, pattern: /^[a-z]+$/ })), values: array(string()) },
    { rules: [rule<{ values?: string[] }>('has(self.values)', 'values needed', (s) => s.values !== undefined, { fieldPath: '.values' })] },
  );
  const schema = object({
    items: array(item, { maxItems: 2, rules: [rule<unknown[]>('size(self) > 0', 'not empty', (s) => s.length > 0)] }),
    level: string({ enum: ['low', 'high'] }),
    count: integer({ minimum: 1, maximum: 5 }),
    q: intOrString({ pattern: /^[0-9]+m?$/ }),
    tags: map(string(), { maxProperties: 1 }),
    set: array(string(), { listType: 'set' }),
    frozen: string({ rules: [transitionRule<string>('self == oldSelf', 'frozen is immutable', (s, o) => s === o)] }),
  });
  const check = (value: unknown, old?: unknown): string[] =>
    validateAgainstSchema(schema, value, { old }).map((p) => `${p.path}: ${p.message}`);

  it('accepts a valid value and ignores unknown fields (the server prunes them)', () => {
    assert.deepEqual(check({ items: [{ key: 'ab', values: [] }], level: 'low', count: 5, q: '5m', tags: { a: 'b' }, set: ['a'], other: 1 }), []);
    assert.deepEqual(check({ q: 7 }), []);
  });

  it('reports types, enums, bounds, patterns, lengths, required, sizes and set duplicates at their paths', () => {
    assert.deepEqual(check({ items: 'x', level: 'mid', count: 0, q: 1.5, tags: { a: 'b', c: 'd' }, set: ['a', 'b', 'a'] }), [
      'items: must be of type array, got string "x"',
      'level: must be one of "low", "high", got "mid"',
      'count: must be at least 1, got 0',
      'q: must be of type integer or string, got number 1.5',
      'tags: must have at most 1 entries, got 2',
      'set[2]: duplicate value string "a"',
    ]);
    assert.deepEqual(check({ items: [{}, { key: 'ABCD', values: [] }, { key: 'a', values: [] }] }), [
      'items: must have at most 2 items, got 3',
      'items[0].key: is required',
      'items[1].key: must be at most 3 characters',
      'items[1].key: "ABCD" must match ^[a-z]+$',
    ]);
    assert.deepEqual(check({ count: 2.5, q: '5x' }), ['count: must be of type integer, got number 2.5', 'q: "5x" must match ^[0-9]+m?$']);
  });

  it('counts characters, not UTF-16 units', () => {
    assert.deepEqual(check({ items: [{ key: '😀😀😀', values: [] }] }).filter((m) => m.includes('characters')), []);
  });

  it('runs a rule only once its node is structurally valid; a failed rule below does not stop rules above', () => {
    assert.deepEqual(check({ items: [{ key: 'a' }] }), ['items[0].values: values needed']);
    assert.deepEqual(check({ items: [] }), ['items: not empty']);
    assert.deepEqual(check({ items: [{ key: 'a', values: 'x' }] }), ['items[0].values: must be of type array, got string "x"']);
  });

  it('checks transition rules only against an old value', () => {
    assert.deepEqual(check({ frozen: 'b' }), []);
    assert.deepEqual(check({ frozen: 'b' }, { frozen: 'a' }), ['frozen: frozen is immutable']);
    assert.deepEqual(check({ frozen: 'a' }, { frozen: 'a' }), []);
    assert.deepEqual(check({ frozen: 'b' }, {}), []);
  });
});
