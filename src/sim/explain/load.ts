/**
 * Reading the JSON a `nodewright simulate --json FILE` wrote, checking just what `explain` relies
 * on (the decision logs), so a wrong file fails with the path of the first bad field, not later
 * with a TypeError.
 */
import { LOGGED_KINDS, STRATEGY_NAMES, type LoggedDecision, type SimulationResult, type StrategyName } from '../result.js';
import type { MachineRecord } from './machines.js';

/** The file is not JSON, or not a simulation result; the message names the file and the field. */
export class ResultFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResultFileError';
  }
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkStrings(v: Json, path: string, fail: (path: string, what: string) => never): void {
  if (!Array.isArray(v)) fail(path, 'a list of strings');
  (v as Json[]).forEach((s, i) => {
    if (typeof s !== 'string') fail(`${path}[${i}]`, 'a string');
  });
}

function checkDecision(d: Json, strategy: StrategyName, path: string, fail: (path: string, what: string) => never): void {
  if (!isObject(d)) fail(path, 'an object');
  if (typeof d['t'] !== 'number' || !Number.isFinite(d['t'])) fail(`${path}.t`, 'a number of seconds');
  if (d['strategy'] !== strategy) fail(`${path}.strategy`, `"${strategy}"`);
  if (typeof d['kind'] !== 'string' || !(LOGGED_KINDS as readonly string[]).includes(d['kind'])) fail(`${path}.kind`, `one of ${LOGGED_KINDS.join(', ')}`);
  if (typeof d['summary'] !== 'string') fail(`${path}.summary`, 'a string');
  const details = d['details'];
  if (!isObject(details)) fail(`${path}.details`, 'an object');
  if (typeof details['why'] !== 'string') fail(`${path}.details.why`, 'a string');
  checkStrings(details['alternativesRejected'], `${path}.details.alternativesRejected`, fail);
  for (const key of ['costPerHourBefore', 'costPerHourAfter']) {
    const v = details[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) fail(`${path}.details.${key}`, 'a number of $/h');
  }
  for (const key of ['nodes', 'pods']) if (details[key] !== undefined) checkStrings(details[key], `${path}.details.${key}`, fail);
  if (details['nodePool'] !== undefined && typeof details['nodePool'] !== 'string') fail(`${path}.details.nodePool`, 'a string');
  const placements = details['placements'];
  if (placements !== undefined) {
    if (!Array.isArray(placements)) fail(`${path}.details.placements`, 'a list');
    (placements as Json[]).forEach((p, i) => {
      const at = `${path}.details.placements[${i}]`;
      if (!isObject(p)) fail(at, 'an object');
      if (typeof p['node'] !== 'string') fail(`${at}.node`, 'a string');
      checkStrings(p['pods'], `${at}.pods`, fail);
      if (typeof p['launched'] !== 'boolean') fail(`${at}.launched`, 'true or false');
    });
  }
  const repeats = d['repeats'];
  if (repeats !== undefined) {
    if (!isObject(repeats)) fail(`${path}.repeats`, 'an object');
    if (!Number.isSafeInteger(repeats['count']) || (repeats['count'] as number) < 2) fail(`${path}.repeats.count`, 'a whole number of at least 2');
    if (typeof repeats['lastT'] !== 'number' || !(repeats['lastT'] >= d['t'])) fail(`${path}.repeats.lastT`, 'a number of seconds, not before t');
  }
  const omitted = d['omittedBefore'];
  if (omitted !== undefined && (!Number.isSafeInteger(omitted) || (omitted as number) < 1)) fail(`${path}.omittedBefore`, 'a positive whole number');
}

const MACHINE_STRINGS = ['node', 'instanceType', 'capacityType', 'zone'] as const;
const MACHINE_NUMBERS = ['pricePerHour', 'launchedAt', 'registeredAt', 'terminatedAt'] as const;

function checkMachines(v: Json, path: string, fail: (path: string, what: string) => never): void {
  if (!Array.isArray(v)) fail(path, 'a list');
  (v as Json[]).forEach((m, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(m)) fail(at, 'an object');
    if (typeof m['nodeClaim'] !== 'string') fail(`${at}.nodeClaim`, 'a string');
    for (const key of MACHINE_STRINGS) if (m[key] !== undefined && typeof m[key] !== 'string') fail(`${at}.${key}`, 'a string');
    for (const key of MACHINE_NUMBERS) {
      const n = m[key];
      if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n))) fail(`${at}.${key}`, 'a number');
    }
  });
}

/**
 * Parses a simulation result from `text` (read from `file`, named in errors). Checks the top level
 * and every strategy's decision log and optional `machines` list; the other fields are kept as they are, unchecked.
 * @throws ResultFileError when the text is not JSON (cause: the SyntaxError) or a checked field is
 *   missing or of the wrong type (the message gives its path, e.g. `strategies.nodewright.decisions[3].t`).
 */
export function parseResult(text: string, file: string): SimulationResult {
  let value: Json;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const fail = (path: string, what: string): never => {
    throw new ResultFileError(`${file} is not a simulation result (from "nodewright simulate --json"): ${path} should be ${what}`);
  };
  if (!isObject(value)) fail('the top level', 'an object');
  const strategies = (value as Record<string, Json>)['strategies'];
  if (!isObject(strategies)) fail('strategies', 'an object');
  const s = strategies as Record<string, Json>;
  for (const name of Object.keys(s)) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(name)) fail(`strategies.${name}`, `absent: strategies are ${STRATEGY_NAMES.join(' and ')}`);
  }
  for (const name of STRATEGY_NAMES) {
    const strategy = s[name];
    if (strategy === undefined) continue;
    if (!isObject(strategy)) fail(`strategies.${name}`, 'an object');
    const decisions = (strategy as Record<string, Json>)['decisions'];
    if (!Array.isArray(decisions)) fail(`strategies.${name}.decisions`, 'a list');
    (decisions as Json[]).forEach((d, i) => checkDecision(d, name, `strategies.${name}.decisions[${i}]`, fail));
    const machines = (strategy as Record<string, Json>)['machines'];
    if (machines !== undefined) checkMachines(machines, `strategies.${name}.machines`, fail);
  }
  return value as SimulationResult;
}

/** The decisions of one strategy, oldest first (a stable sort by `t`, in case a file is out of order). */
export function decisionsOf(result: SimulationResult, strategy: StrategyName): readonly LoggedDecision[] {
  const decisions = result.strategies[strategy]?.decisions ?? [];
  return decisions.map((d, i) => ({ d, i })).sort((a, b) => a.d.t - b.d.t || a.i - b.i).map(({ d }) => d);
}

/**
 * The strategy's machines with both their names, when the file has the optional
 * `strategies.<name>.machines` list (checked by {@link parseResult}); empty otherwise.
 */
export function machinesOf(result: SimulationResult, strategy: StrategyName): readonly MachineRecord[] {
  const machines: unknown = (result.strategies[strategy] as { machines?: unknown } | undefined)?.machines;
  return Array.isArray(machines) ? machines as MachineRecord[] : [];
}
