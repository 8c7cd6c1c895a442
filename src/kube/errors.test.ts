import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isConflict, isGone, isNotFound, isTooManyRequests, KubeError, kubeErrorFromStatus } from './errors.js';

describe('KubeError', () => {
  it('carries the HTTP code of its reason', () => {
    assert.equal(new KubeError('NotFound', 'x').code, 404);
    assert.equal(new KubeError('Conflict', 'x').code, 409);
    assert.equal(new KubeError('Expired', 'x').code, 410);
    assert.equal(new KubeError('TooManyRequests', 'x').code, 429);
    assert.equal(new KubeError('Invalid', 'x').code, 422);
    const cause = new Error('socket');
    assert.equal(new KubeError('InternalError', 'x', {}, { cause }).cause, cause);
  });
  it('is recognised by the predicates, and only by the right one', () => {
    const gone = new KubeError('Expired', 'too old');
    assert.ok(isGone(gone) && isGone(new KubeError('Gone', 'g')));
    assert.ok(!isNotFound(gone) && !isConflict(gone));
    assert.ok(!isTooManyRequests(new Error('429')));
  });
});

describe('kubeErrorFromStatus', () => {
  it('keeps the server reason, code and details, and says what was being done', () => {
    const e = kubeErrorFromStatus('evicting pod ns/web-1', {
      code: 429, reason: 'TooManyRequests', message: 'Cannot evict pod as it would violate the pod\'s disruption budget.',
      details: { name: 'web-1', kind: 'pods', causes: [{ reason: 'DisruptionBudget', message: 'needs 2' }] },
    });
    assert.ok(isTooManyRequests(e));
    assert.equal(e.code, 429);
    assert.match(e.message, /^evicting pod ns\/web-1: Cannot evict/);
    assert.equal(e.details.causes?.[0]?.reason, 'DisruptionBudget');
  });
  it('falls back on the HTTP code when the reason is unknown or missing', () => {
    assert.equal(kubeErrorFromStatus('x', { code: 410 }).reason, 'Gone');
    assert.equal(kubeErrorFromStatus('x', { code: 409, reason: 'SomethingNew' }).reason, 'Conflict');
    assert.equal(kubeErrorFromStatus('x', { code: 418 }).reason, 'Unknown');
    assert.equal(kubeErrorFromStatus('x', {}).code, 500);
  });
});
