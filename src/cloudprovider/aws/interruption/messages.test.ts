import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseInterruptionMessage, SPOT_NOTICE_MS } from './messages.js';

const TIME = '2024-05-01T12:00:00Z';
const AT = Date.parse(TIME);
const body = (detailType: string, detail: unknown, source = 'aws.ec2', time = TIME): string =>
  JSON.stringify({ version: '0', id: 'e1', 'detail-type': detailType, source, account: '1', time, region: 'us-east-1', resources: [], detail });

describe('interruption messages', () => {
  it('spot interruption warning: the instance, notice time and reclaim two minutes later', () => {
    assert.deepEqual(parseInterruptionMessage(body('EC2 Spot Instance Interruption Warning', { 'instance-id': 'i-0abc12345678def90', 'instance-action': 'terminate' })), {
      ok: true, event: { kind: 'SpotInterruption', instanceIds: ['i-0abc12345678def90'], noticeAt: AT, terminateAt: AT + SPOT_NOTICE_MS },
    });
  });

  it('rebalance recommendation, state changes and AWS Health scheduled changes', () => {
    const id = 'i-0123456789abcdef0';
    assert.deepEqual(parseInterruptionMessage(body('EC2 Instance Rebalance Recommendation', { 'instance-id': id })), { ok: true, event: { kind: 'RebalanceRecommendation', instanceIds: [id], noticeAt: AT } });
    for (const [state, kind] of [['stopping', 'InstanceStopping'], ['stopped', 'InstanceStopping'], ['shutting-down', 'InstanceTerminating'], ['terminated', 'InstanceTerminating']]) {
      assert.deepEqual(parseInterruptionMessage(body('EC2 Instance State-change Notification', { 'instance-id': id, state })), { ok: true, event: { kind, instanceIds: [id], noticeAt: AT } });
    }
    const running = parseInterruptionMessage(body('EC2 Instance State-change Notification', { 'instance-id': id, state: 'running' }));
    assert.equal(running.ok, false);
    assert.equal(!running.ok && running.ignored, true);
    const health = parseInterruptionMessage(body('AWS Health Event', {
      service: 'EC2', eventTypeCategory: 'scheduledChange', startTime: 'Wed, 01 May 2024 18:00:00 GMT',
      affectedEntities: [{ entityValue: id }, { entityValue: 'i-0fedcba9876543210' }, { entityValue: 'vol-123' }],
    }, 'aws.health'));
    assert.deepEqual(health, { ok: true, event: { kind: 'ScheduledChange', instanceIds: [id, 'i-0fedcba9876543210'], noticeAt: AT, terminateAt: Date.parse('2024-05-01T18:00:00Z') } });
    const otherService = parseInterruptionMessage(body('AWS Health Event', { service: 'RDS', eventTypeCategory: 'scheduledChange', affectedEntities: [] }, 'aws.health'));
    assert.ok(!otherService.ok && otherService.ignored);
  });

  it('malformed messages are reported, never thrown', () => {
    const cases = ['', 'not json', '[]', '{}', body('EC2 Spot Instance Interruption Warning', { 'instance-id': 'i-nothex' }), body('EC2 Spot Instance Interruption Warning', {}, 'aws.ec2', 'yesterday')];
    for (const c of cases) {
      const r = parseInterruptionMessage(c);
      assert.ok(!r.ok && !r.ignored, `malformed: ${c}`);
    }
    fc.assert(fc.property(fc.string(), fc.jsonValue(), (s, j) => {
      for (const text of [s, JSON.stringify(j), body('EC2 Spot Instance Interruption Warning', j)]) {
        const r = parseInterruptionMessage(text);
        assert.ok(r.ok ? r.event.instanceIds.every((i) => /^i-[0-9a-f]+$/.test(i)) : r.reason.length > 0);
      }
    }), { numRuns: 300, seed: 7 });
  });
});
