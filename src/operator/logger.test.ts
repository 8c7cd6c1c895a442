import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KubeError } from '../kube/errors.js';
import { VirtualClock } from '../utils/clock.js';
import { createLogger } from './logger.js';
import type { LogLevel } from './options.js';
import { REDACTED, redactValue, scrubText } from './redact.js';

function capture(level: LogLevel = 'debug'): { lines: () => Record<string, unknown>[]; raw: () => string; log: ReturnType<typeof createLogger> } {
  let out = '';
  const log = createLogger({ level, clock: new VirtualClock(), base: {}, destination: { write: (s: string) => { out += s; } } });
  return { log, raw: () => out, lines: () => out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\nabc\n-----END RSA PRIVATE KEY-----';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, message and the fields of its children', () => {
    const { log, lines } = capture();
    const child = log.child({ nodepool: 'default' }).child({ nodeclaim: 'default-x7k2p' });
    child.info({ node: 'ip-10-0-1-2' }, 'registered');
    log.warn({}, 'plain');
    assert.deepEqual(lines(), [
      { level: 'info', time: '2024-01-01T00:00:00.000Z', nodepool: 'default', nodeclaim: 'default-x7k2p', node: 'ip-10-0-1-2', msg: 'registered' },
      { level: 'warn', time: '2024-01-01T00:00:00.000Z', msg: 'plain' },
    ]);
  });

  it('drops lines below its level', () => {
    const { log, lines } = capture('warn');
    log.debug({}, 'd');
    log.info({}, 'i');
    log.warn({}, 'w');
    log.error({}, 'e');
    assert.deepEqual(lines().map((l) => l.level), ['warn', 'error']);
    assert.equal(log.isLevelEnabled('info'), false);
  });

  it('never writes tokens, authorization headers, private keys or user data, in fields, children, errors or messages', () => {
    const { log, raw, lines } = capture();
    const err = new KubeError('Forbidden', `listing pods: Unauthorized (Authorization: Bearer ${JWT})`, {}, { cause: new Error(`kubeconfig client-key-data ${PEM}`) });
    log.child({ token: 's3cr3t-child' }).error({
      err,
      headers: { Authorization: 'Bearer abc.def', 'x-api-key': 'k-123' },
      userData: '#!/bin/bash\necho hi',
      config: { users: [{ user: { 'client-key-data': 'LS0tLS1CRUdJTiBSU0', password: 'hunter2' } }] },
      url: 'https://sqs.us-east-1.amazonaws.com/?X-Amz-Security-Token=FQoGZXIvYXdz&Action=Receive',
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      nodeclaim: 'default-abc',
    }, `failed with token=${'t0k'} and ${JWT}`);
    const out = raw();
    for (const secret of ['s3cr3t-child', JWT, 'abc.def', 'k-123', 'echo hi', 'LS0tLS1CRUdJTiBSU0', 'hunter2', 'FQoGZXIvYXdz', 'AKIAIOSFODNN7EXAMPLE', 'MIIEowIBAAKCAQEA7x', 't0k']) {
      assert.ok(!out.includes(secret), `"${secret}" is not logged: ${out}`);
    }
    const [line] = lines();
    assert.equal(line!.nodeclaim, 'default-abc', 'ordinary fields are kept');
    assert.equal((line!.headers as Record<string, unknown>).Authorization, REDACTED);
    const e = line!.err as Record<string, unknown>;
    assert.equal(e.type, 'KubeError');
    assert.equal(e.reason, 'Forbidden');
    assert.equal(e.code, 403);
    assert.match(e.message as string, /^listing pods: Unauthorized \(Authorization: Bearer \[REDACTED\]\)$/);
    assert.match((e.cause as Record<string, unknown>).message as string, /^kubeconfig client-key-data \[REDACTED\]$/);
    assert.equal(line!.url, 'https://sqs.us-east-1.amazonaws.com/?X-Amz-Security-Token=[REDACTED]&Action=Receive');
  });
});

describe('redactValue', () => {
  it('copies without modifying the input, and copes with cycles, binary data and deep nesting', () => {
    const input: Record<string, unknown> = { a: { password: 'p' }, list: [1, 'x'], buf: Buffer.from('abc'), when: new Date(0) };
    input.self = input;
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 20; i++) deep = (deep.next = {});
    input.deep = top;
    const out = redactValue(input) as Record<string, unknown>;
    assert.deepEqual(input.a, { password: 'p' });
    assert.deepEqual(out.a, { password: REDACTED });
    assert.equal(out.self, '[Circular]');
    assert.equal(out.buf, '[binary 3 bytes]');
    assert.equal(out.when, '1970-01-01T00:00:00.000Z');
    assert.ok(JSON.stringify(out).includes('[Truncated]'));
  });

  it('keeps ordinary text and fields as they are', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9 ./-]{0,40}$/), (s) => {
      fc.pre(!/token|password|passwd|secret|api.?key|bearer|basic/i.test(s));
      assert.equal(scrubText(s), s);
      assert.deepEqual(redactValue({ nodepool: s, count: 3 }), { nodepool: s, count: 3 });
    }));
  });

  it('masks a secret under any sensitive key, whatever its spelling', () => {
    fc.assert(fc.property(
      fc.constantFrom('token', 'Token', 'access_token', 'refreshToken', 'PASSWORD', 'client-secret', 'privateKey', 'user_data', 'UserData', 'authorization', 'X-Api-Key', 'SecretAccessKey'),
      fc.string({ minLength: 1 }),
      (key, secret) => {
        assert.deepEqual(redactValue({ [key]: secret }), { [key]: REDACTED });
      },
    ));
  });
});
