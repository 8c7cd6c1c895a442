import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { KubeError } from '../errors.js';
import { statusFromBody, toKubeError } from './error-mapping.js';

const conflictBody = JSON.stringify({
  kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 409, reason: 'Conflict',
  message: 'Operation cannot be fulfilled on pods "web": the object has been modified',
  details: { name: 'web', kind: 'pods' },
});

describe('error mapping', () => {
  it('reads a Status from JSON text, a Buffer or an object, and keeps plain text as the message', () => {
    assert.equal(statusFromBody(conflictBody).reason, 'Conflict');
    assert.equal(statusFromBody(Buffer.from(conflictBody)).details?.name, 'web');
    assert.equal(statusFromBody({ code: 404, reason: 'NotFound', message: 'gone' }).message, 'gone');
    assert.deepEqual(statusFromBody('upstream connect error'), { message: 'upstream connect error' });
    assert.deepEqual(statusFromBody(''), {});
    assert.deepEqual(statusFromBody(undefined), {});
    assert.equal(statusFromBody('x'.repeat(2000)).message?.length, 501);
  });

  it('maps an ApiException {code, body} through the Status', () => {
    const e = toKubeError('updating Pod ns/web', new ApiException(409, 'HTTP 409', conflictBody, {}));
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.code, 409);
    assert.equal(e.details.name, 'web');
    assert.match(e.message, /^updating Pod ns\/web: Operation cannot be fulfilled/);
    assert.ok(e.cause instanceof ApiException);
  });

  it('takes the reason from the HTTP code when the body has none (a proxy answering)', () => {
    const e = toKubeError('listing Node', new ApiException(503, 'HTTP 503', '<html>unavailable</html>', {}));
    assert.equal(e.code, 503);
    assert.equal(e.reason, 'Unknown');
    const gone = toKubeError('listing Pod', new ApiException(410, 'HTTP 410', '', {}));
    assert.equal(gone.reason, 'Gone');
    assert.match(gone.message, /HTTP 410/);
  });

  it('maps the bare HTTP error of a refused watch by its status code', () => {
    const err = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    const e = toKubeError('watching Pod', err);
    assert.equal(e.reason, 'Forbidden');
    assert.equal(e.code, 403);
  });

  it('passes KubeErrors through and wraps anything else as Unknown with its cause', () => {
    const k = new KubeError('NotFound', 'x');
    assert.equal(toKubeError('getting', k), k);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    const e = toKubeError('getting Node n', refused);
    assert.equal(e.reason, 'Unknown');
    assert.equal(e.cause, refused);
    assert.equal(e.message, 'getting Node n: connect ECONNREFUSED 127.0.0.1:6443');
  });
});
