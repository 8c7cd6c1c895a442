import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateKWOKNodeClass } from './validation.js';

describe('validateKWOKNodeClass', () => {
  it('accepts an empty node class and one with a registration delay', () => {
    assert.deepEqual(validateKWOKNodeClass({ apiVersion: 'karpenter.kwok.sh/v1alpha1', kind: 'KWOKNodeClass', metadata: { name: 'default' } }), []);
    assert.deepEqual(validateKWOKNodeClass({ metadata: { name: 'slow' }, spec: { nodeRegistrationDelay: '1m30s' } }), []);
  });

  it('refuses a delay that is not a duration, and a wrong apiVersion', () => {
    assert.deepEqual(validateKWOKNodeClass({ metadata: { name: 'x' }, spec: { nodeRegistrationDelay: '5 seconds' } }).map((p) => p.path), [
      'spec.nodeRegistrationDelay',
    ]);
    assert.deepEqual(validateKWOKNodeClass({ apiVersion: 'karpenter.kwok.sh/v1', metadata: { name: 'x' } }).map((p) => p.path), ['apiVersion']);
  });
});
