import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileSelector, SelectorError } from './selectors.js';

describe('compileSelector', () => {
  it('treats an absent selector as matching nothing and an empty one as matching everything', () => {
    assert.equal(compileSelector(undefined)({ a: 'b' }), false);
    assert.equal(compileSelector({})({ a: 'b' }), true);
    assert.equal(compileSelector({})(undefined), true);
  });
  it('ANDs matchLabels and every operator', () => {
    const p = compileSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(p({ app: 'web', tier: 'a', team: 'x' }), true);
    assert.equal(p({ app: 'web', tier: 'a', team: 'x', env: 'dev' }), true);
    assert.equal(p({ app: 'web', tier: 'a', team: 'x', env: 'prod' }), false);
    assert.equal(p({ app: 'web', tier: 'c', team: 'x' }), false);
    assert.equal(p({ app: 'web', tier: 'a' }), false);
    assert.equal(p({ app: 'web', tier: 'a', team: 'x', legacy: '' }), false);
    assert.equal(p({ app: 'api', tier: 'a', team: 'x' }), false);
  });
  it('rejects invalid expressions with the expression named', () => {
    assert.throws(() => compileSelector({ matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] }), SelectorError);
    assert.throws(() => compileSelector({ matchExpressions: [{ key: 'k', operator: 'In' }] }), /matchExpressions\[0\].*needs at least one value/);
    assert.throws(() => compileSelector({ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] }), /takes no values/);
  });
});
