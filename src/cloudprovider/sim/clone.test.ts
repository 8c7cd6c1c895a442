import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloneData, frozenCopy } from './clone.js';

describe('cloneData', () => {
  it('copies plain data as structuredClone does, sharing nothing', () => {
    const when = new Date(0);
    const value = {
      metadata: { name: 'a', labels: { x: 'y' }, gone: undefined },
      spec: { requirements: [{ key: 'k', operator: 'In', values: ['1', '2'] }], list: [1, null, undefined, [true]] },
      status: { at: when, nested: Object.assign(Object.create(null) as object, { n: 1 }) },
    };
    const copy = cloneData(value);
    assert.deepStrictEqual(copy, structuredClone(value));
    assert.ok('gone' in copy.metadata, 'undefined-valued keys are kept');
    assert.notEqual(copy.spec.requirements[0], value.spec.requirements[0]);
    assert.notEqual(copy.spec.requirements[0]!.values, value.spec.requirements[0]!.values);
    assert.notEqual(copy.status.at, when);
    assert.equal(copy.status.at.getTime(), 0);
    copy.metadata.labels.x = 'z';
    assert.equal(value.metadata.labels.x, 'y');
  });

  it('keeps a "__proto__" key as an own key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneData(value);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
  });

  it('frozenCopy: a copy frozen all the way down; the original stays writable', () => {
    const value = { metadata: { labels: { x: 'y' } }, spec: { list: [{ a: 1 }] } };
    const copy = frozenCopy(value);
    assert.deepStrictEqual(copy, value);
    assert.ok(Object.isFrozen(copy) && Object.isFrozen(copy.metadata.labels) && Object.isFrozen(copy.spec.list[0]));
    assert.throws(() => { copy.metadata.labels.x = 'z'; }, TypeError);
    value.metadata.labels.x = 'z';
    assert.equal(copy.metadata.labels.x, 'y');
  });
});
