/**
 * parseScenario / loadScenario: a scenario file (README-format.md) into the normalised Scenario
 * (types.ts), or every problem with it, each with the file, the line and the field path.
 */
import { readFile } from 'node:fs/promises';
import { readClusterAutoscaler } from './read-node-groups.js';
import { readCluster } from './read-cluster.js';
import { readWorkload } from './read-workload.js';
import { Reader, show } from './reader.js';
import type { Fields } from './reader.js';
import { ScenarioLoadError } from './problems.js';
import type { ScenarioProblem } from './problems.js';
import type { Scenario } from './types.js';
import { readYaml } from './yaml-source.js';

const TOP_FIELDS = ['name', 'description', 'seed', 'horizon', 'startTime', 'cluster', 'clusterAutoscaler', 'workload'] as const;
/** A month: longer runs are not what the simulator is for, and the bound keeps event counts sane. */
export const MAX_HORIZON_MS = 31 * 24 * 3600_000;
export const DEFAULT_SEED = 1;
/** A Monday at midnight UTC, so "peak: 14h" reads as 2 pm and weekday cron budgets behave as written. */
export const DEFAULT_START_TIME = '2025-01-06T00:00:00Z';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;

export interface ParseResult {
  /** Present exactly when there are no problems. */
  readonly scenario: Scenario | undefined;
  /** Every problem found, in line order. */
  readonly problems: readonly ScenarioProblem[];
}

/**
 * Parses and validates the text of a scenario file. `file` names it in problems and in the
 * scenario. Never throws for bad input: malformed YAML, unknown fields, bad values and dangling
 * references all come back as problems (and then no scenario).
 */
export function parseScenario(text: string, file: string): ParseResult {
  const yaml = readYaml(text);
  if (yaml.source === undefined) {
    return { scenario: undefined, problems: yaml.problems.map((p) => ({ file, line: p.line, path: '', message: p.message })) };
  }
  const { value, lineOf } = yaml.source;
  const r = new Reader();
  const scenario = readScenario(r, value, file);
  const problems = r.problems
    .map((p) => ({ file, line: lineOf(p.path), path: p.path, message: p.message }))
    .sort((a, b) => a.line - b.line);
  return problems.length > 0 ? { scenario: undefined, problems } : { scenario, problems };
}

/**
 * Reads and parses a scenario file (UTF-8).
 * @throws ScenarioLoadError when the file cannot be read; problems with its content are returned.
 */
export async function loadScenario(path: string): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScenarioLoadError(`reading scenario ${path}: ${err instanceof Error ? err.message : String(err)}`, path, { cause: err });
  }
  return parseScenario(text, path);
}

function readScenario(r: Reader, value: unknown, file: string): Scenario | undefined {
  if (!r.map(value, '')) {
    r.problems.splice(0, r.problems.length, { path: '', message: `a scenario is a mapping with ${TOP_FIELDS.join(', ')}; got ${show(value)}` });
    return undefined;
  }
  const f = r.fields(value, '', TOP_FIELDS)!;
  const name = r.str(f.get('name'), 'name', true);
  const description = r.str(f.get('description'), 'description') ?? '';
  const seed = readSeed(r, f);
  const horizonMs = r.duration(f.get('horizon'), 'horizon', true, false);
  if (horizonMs !== undefined && horizonMs > MAX_HORIZON_MS) r.fail('horizon', `must be at most 744h (31 days), got ${show(f.get('horizon'))}`);
  // Times anywhere else are checked against the horizon from here on.
  r.horizonMs = horizonMs ?? Infinity;
  r.horizonText = show(f.get('horizon'));
  const startEpochMs = readStartTime(r, f);
  const cluster = readCluster(r, f.get('cluster'), 'cluster');
  const workload = readWorkload(r, f.get('workload'), 'workload', cluster?.zones);
  const ca = cluster && workload && readClusterAutoscaler(r, f.get('clusterAutoscaler'), 'clusterAutoscaler', cluster, workload);
  if (r.problems.length > 0 || name === undefined || seed === undefined || horizonMs === undefined || startEpochMs === undefined) return undefined;
  if (cluster === undefined || workload === undefined || ca === undefined) return undefined;
  return {
    name,
    description,
    file,
    seed,
    horizonMs,
    startEpochMs,
    cluster: { ...cluster, initialNodes: ca.initialNodes },
    clusterAutoscaler: ca.spec,
    workload,
  };
}

function readSeed(r: Reader, f: Fields<(typeof TOP_FIELDS)[number]>): number | string | undefined {
  const seed = f.get('seed');
  if (seed === undefined || seed === null) return DEFAULT_SEED;
  if (typeof seed === 'string') return r.str(seed, 'seed');
  return r.int(seed, 'seed', 0);
}

function readStartTime(r: Reader, f: Fields<(typeof TOP_FIELDS)[number]>): number | undefined {
  const text = f.has('startTime') ? r.str(f.get('startTime'), 'startTime') : DEFAULT_START_TIME;
  if (text === undefined) return undefined;
  const ms = ISO_UTC.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) return void r.fail('startTime', `must be a UTC time such as "${DEFAULT_START_TIME}", got ${show(text)}`);
  return ms;
}
