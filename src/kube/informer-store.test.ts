import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IndexedStore, UnknownIndexError } from './informer-store.js';

interface Obj {
  readonly name: string;
  readonly group?: string;
  readonly v: number;
}

const store = (): IndexedStore<Obj> => new IndexedStore<Obj>({ group: (o) => (o.group ? [o.group] : []) });
const names = (objs: readonly Obj[]): string[] => objs.map((o) => `${o.name}@${o.v}`);

describe('IndexedStore', () => {
  it('finds the current objects under an index value, in the order they were last written', () => {
    const s = store();
    s.set('a', { name: 'a', group: 'x', v: 1 });
    s.set('b', { name: 'b', group: 'x', v: 1 });
    s.set('c', { name: 'c', group: 'y', v: 1 });
    s.set('a', { name: 'a', group: 'x', v: 2 });
    assert.deepEqual(names(s.byIndex('group', 'x')), ['b@1', 'a@2']);
    assert.deepEqual(names(s.byIndex('group', 'y')), ['c@1']);
    assert.deepEqual(s.byIndex('group', 'z'), []);
  });

  it('moves an object between values, drops it when it has none, and forgets empty values', () => {
    const s = store();
    s.set('a', { name: 'a', group: 'x', v: 1 });
    s.set('a', { name: 'a', group: 'y', v: 2 });
    assert.deepEqual(s.byIndex('group', 'x'), []);
    assert.deepEqual(names(s.byIndex('group', 'y')), ['a@2']);
    assert.deepEqual(s.indexValues('group'), ['y']);
    s.set('a', { name: 'a', v: 3 });
    assert.deepEqual(s.indexValues('group'), []);
    s.set('b', { name: 'b', group: 'y', v: 1 });
    assert.equal(s.delete('b')?.v, 1);
    assert.equal(s.delete('b'), undefined);
    assert.deepEqual(s.byIndex('group', 'y'), []);
    assert.equal(s.size, 1);
  });

  it('hands out a new array each time, so a caller may keep or sort it', () => {
    const s = store();
    s.set('a', { name: 'a', group: 'x', v: 1 });
    const first = s.byIndex('group', 'x');
    s.set('b', { name: 'b', group: 'x', v: 1 });
    assert.deepEqual(names(first), ['a@1']);
    assert.notEqual(s.byIndex('group', 'x'), s.byIndex('group', 'x'));
  });

  it('refuses an index it was not built with', () => {
    assert.throws(() => store().byIndex('nope', 'x'), UnknownIndexError);
    assert.throws(() => store().indexValues('nope'), UnknownIndexError);
  });
});
