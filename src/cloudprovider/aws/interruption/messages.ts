/**
 * EventBridge events, as an SQS queue receives them, read into typed interruption events: spot
 * interruption warnings, rebalance recommendations, AWS Health scheduled changes for EC2, and
 * instance state changes (stopping/stopped, shutting-down/terminated). Anything else is reported
 * as ignored or malformed, never thrown.
 */

/** The kinds the interruption controller knows (controllers/interruption/source.ts), stated here: cloudprovider/ may not import controllers/. */
export type InterruptionKind = 'SpotInterruption' | 'ScheduledChange' | 'InstanceStopping' | 'InstanceTerminating' | 'RebalanceRecommendation';

/** EC2 reclaims a spot instance two minutes after the warning. */
export const SPOT_NOTICE_MS = 120_000;

export interface InterruptionEvent {
  readonly kind: InterruptionKind;
  /** The instances concerned (a scheduled change may name several). */
  readonly instanceIds: readonly string[];
  /** When the event happened (its "time"), epoch ms. */
  readonly noticeAt: number;
  /** When the instance goes, when the event says (spot: notice + 2 min; scheduled change: its start). */
  readonly terminateAt?: number;
}

export type ParsedMessage =
  | { readonly ok: true; readonly event: InterruptionEvent }
  | { readonly ok: false; readonly ignored: boolean; readonly reason: string };

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const malformed = (reason: string): ParsedMessage => ({ ok: false, ignored: false, reason });
const ignored = (reason: string): ParsedMessage => ({ ok: false, ignored: true, reason });

function instanceIdOf(detail: Record<string, unknown>): string | undefined {
  const id = str(detail['instance-id']);
  return id !== undefined && INSTANCE_ID.test(id) ? id : undefined;
}

/** Reads one SQS message body. */
export function parseInterruptionMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return malformed('the body is not JSON');
  }
  const event = record(json);
  if (event === undefined) return malformed('the body is not a JSON object');
  const source = str(event.source);
  const detailType = str(event['detail-type']);
  const detail = record(event.detail);
  const noticeAt = Date.parse(str(event.time) ?? '');
  if (source === undefined || detailType === undefined || detail === undefined) return malformed('not an EventBridge event (source, detail-type and detail are required)');
  if (!Number.isFinite(noticeAt)) return malformed(`${detailType}: "time" is not a timestamp`);

  if (source === 'aws.ec2' && detailType === 'EC2 Spot Instance Interruption Warning') {
    const id = instanceIdOf(detail);
    if (id === undefined) return malformed(`${detailType}: detail.instance-id is missing or malformed`);
    return { ok: true, event: { kind: 'SpotInterruption', instanceIds: [id], noticeAt, terminateAt: noticeAt + SPOT_NOTICE_MS } };
  }
  if (source === 'aws.ec2' && detailType === 'EC2 Instance Rebalance Recommendation') {
    const id = instanceIdOf(detail);
    if (id === undefined) return malformed(`${detailType}: detail.instance-id is missing or malformed`);
    return { ok: true, event: { kind: 'RebalanceRecommendation', instanceIds: [id], noticeAt } };
  }
  if (source === 'aws.ec2' && detailType === 'EC2 Instance State-change Notification') {
    const id = instanceIdOf(detail);
    const state = str(detail.state);
    if (id === undefined || state === undefined) return malformed(`${detailType}: detail.instance-id and detail.state are required`);
    if (state === 'stopping' || state === 'stopped') return { ok: true, event: { kind: 'InstanceStopping', instanceIds: [id], noticeAt } };
    if (state === 'shutting-down' || state === 'terminated') return { ok: true, event: { kind: 'InstanceTerminating', instanceIds: [id], noticeAt } };
    return ignored(`${detailType}: state "${state}" needs no action`);
  }
  if (source === 'aws.health' && detailType === 'AWS Health Event') {
    if (str(detail.service) !== 'EC2') return ignored(`${detailType}: service ${str(detail.service) ?? '?'} is not EC2`);
    if (str(detail.eventTypeCategory) !== 'scheduledChange') return ignored(`${detailType}: category ${str(detail.eventTypeCategory) ?? '?'} is not scheduledChange`);
    const entities = Array.isArray(detail.affectedEntities) ? detail.affectedEntities : [];
    const ids = entities.map((e) => str(record(e)?.entityValue)).filter((v): v is string => v !== undefined && INSTANCE_ID.test(v));
    if (ids.length === 0) return malformed(`${detailType}: no instance among detail.affectedEntities`);
    const start = Date.parse(str(detail.startTime) ?? '');
    return { ok: true, event: { kind: 'ScheduledChange', instanceIds: ids, noticeAt, ...(Number.isFinite(start) ? { terminateAt: start } : {}) } };
  }
  return ignored(`${source} "${detailType}" is not an interruption event`);
}
