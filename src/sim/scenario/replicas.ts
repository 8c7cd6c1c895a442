/**
 * A deployment's replicas over time: read from the scenario (a count, a list of steps, or a
 * diurnal wave) and evaluated for the engine.
 *
 * YAML: `replicas: 5` · `replicas: [{at: 0s, count: 5}, {at: 10m, count: 500}]` ·
 * `replicas: {type: diurnal, min: 10, max: 120, period: 24h, peak: 14h, step: 10m}`
 */
import { isMap } from '../../apis/manifests-checks.js';
import { show } from './reader.js';
import type { Reader } from './reader.js';
import type { ReplicaSchedule, ReplicaStep } from './types.js';

const DEFAULT_PERIOD_MS = 24 * 3600_000;
const DEFAULT_STEP_MS = 10 * 60_000;
/** Finer steps than this only add events: a minute is already finer than any autoscaler reacts to. */
const MIN_STEP_MS = 60_000;

/** Reads `replicas`; undefined (problems recorded) when malformed or absent. */
export function readReplicas(r: Reader, value: unknown, path: string): ReplicaSchedule | undefined {
  if (value === undefined || value === null) return void r.fail(path, 'is required: a count, a list of {at, count} steps, or {type: diurnal, ...}');
  if (typeof value === 'number') {
    const count = r.int(value, path, 0);
    return count === undefined ? undefined : { kind: 'steps', steps: [{ atMs: 0, count }] };
  }
  if (Array.isArray(value)) return readSteps(r, value, path);
  if (!isMap(value)) return void r.fail(path, 'must be a count, a list of {at, count} steps, or {type: diurnal, ...}');
  const f = r.fields(value, path, ['type', 'min', 'max', 'period', 'peak', 'step'])!;
  if (r.choice(f.get('type'), f.at('type'), ['diurnal'] as const, true) === undefined) return undefined;
  const min = r.int(f.get('min'), f.at('min'), 0, true);
  const max = r.int(f.get('max'), f.at('max'), 0, true);
  const periodMs = f.has('period') ? r.duration(f.get('period'), f.at('period'), true, false) : DEFAULT_PERIOD_MS;
  const peakMs = f.has('peak') ? r.duration(f.get('peak'), f.at('peak'), true) : periodMs === undefined ? undefined : periodMs / 2;
  const stepMs = f.has('step') ? r.duration(f.get('step'), f.at('step'), true, false) : DEFAULT_STEP_MS;
  if (min === undefined || max === undefined || periodMs === undefined || peakMs === undefined || stepMs === undefined) return undefined;
  if (max < min) return void r.fail(f.at('max'), `must be at least min (${min}), got ${max}`);
  if (stepMs < MIN_STEP_MS) return void r.fail(f.at('step'), `must be at least 1m, got ${String(f.get('step'))}`);
  if (peakMs >= periodMs) return void r.fail(f.at('peak'), `must be less than the period (${f.has('period') ? show(f.get('period')) : '24h'})`);
  return { kind: 'diurnal', min, max, periodMs, peakMs, stepMs };
}

function readSteps(r: Reader, value: unknown[], path: string): ReplicaSchedule | undefined {
  if (value.length === 0) return void r.fail(path, 'must list at least one {at, count} step');
  const before = r.problems.length;
  const steps: ReplicaStep[] = [];
  value.forEach((item, i) => {
    const f = r.fields(item, `${path}[${i}]`, ['at', 'count'], true);
    if (f === undefined) return;
    const atMs = r.time(f.get('at'), f.at('at'), true);
    const count = r.int(f.get('count'), f.at('count'), 0, true);
    if (atMs === undefined || count === undefined) return;
    const previous = steps[steps.length - 1];
    if (previous !== undefined && atMs <= previous.atMs) {
      r.fail(f.at('at'), `must be later than the step before it (${String((value[i - 1] as Record<string, unknown>).at)})`);
      return;
    }
    steps.push({ atMs, count });
  });
  return r.problems.length > before ? undefined : { kind: 'steps', steps };
}

/** The replicas wanted at time `tMs` (0 before the first step). */
export function replicasAt(schedule: ReplicaSchedule, tMs: number): number {
  switch (schedule.kind) {
    case 'steps': {
      let count = 0;
      for (const s of schedule.steps) {
        if (s.atMs > tMs) break;
        count = s.count;
      }
      return count;
    }
    case 'diurnal': {
      const sampled = Math.floor(tMs / schedule.stepMs) * schedule.stepMs;
      const phase = (2 * Math.PI * (sampled - schedule.peakMs)) / schedule.periodMs;
      return Math.round(schedule.min + ((schedule.max - schedule.min) * (1 + Math.cos(phase))) / 2);
    }
  }
}

/**
 * Every change of the replica count from t = 0 up to and including `horizonMs`, in time order:
 * the first entry is at 0 (possibly count 0) and each later one differs from the one before.
 */
export function replicaChanges(schedule: ReplicaSchedule, horizonMs: number): ReplicaStep[] {
  const out: ReplicaStep[] = [];
  const push = (atMs: number, count: number): void => {
    if (atMs > horizonMs) return;
    const last = out[out.length - 1];
    if (last === undefined || last.count !== count) out.push({ atMs, count });
  };
  push(0, replicasAt(schedule, 0));
  switch (schedule.kind) {
    case 'steps':
      for (const s of schedule.steps) push(s.atMs, s.count);
      break;
    case 'diurnal':
      for (let t = schedule.stepMs; t <= horizonMs; t += schedule.stepMs) push(t, replicasAt(schedule, t));
      break;
  }
  return out;
}

/** The largest count the schedule reaches within the horizon. */
export function peakReplicas(schedule: ReplicaSchedule, horizonMs: number): number {
  return Math.max(0, ...replicaChanges(schedule, horizonMs).map((s) => s.count));
}
