/**
 * The replay benchmark (`npx tsx bench/replay.ts [--json] [--strategy NAME] [--runs N]`): issue 4's
 * target of replaying a 24 h scenario of a 1,000-node cluster in ≤ 60 s of wall time.
 *
 * The scenario is `bench/scenarios/diurnal-1000.yaml`: four Deployments following a day curve on the
 * EC2 catalogue (c and m, generation 6+, large and xlarge), a nightly and a midday Job, a DaemonSet
 * and PodDisruptionBudgets; it peaks around 1,000 nodes. It is replayed with nodewright (the figure
 * the target is about) and with the Cluster Autoscaler model for comparison, each run in a child
 * process of its own so its peak RSS is its own. Reported per strategy: the peak node count, the
 * virtual hours replayed, the replay's wall seconds (the engine's `replayWallSeconds`: world set-up
 * to the horizon, parsing excluded) and the child's peak RSS. With `--runs N` each row is the run
 * with the median wall time of N.
 *
 * For working on the figure: `--hours H` replays only the first H hours of the day (the row says
 * it is partial, and is not held to the target), and `--cpu-prof DIR` writes each child's V8 CPU
 * profile there (`node --cpu-prof`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/table.js';
import type { StrategyName } from '../src/sim/result.js';
import { simulate } from '../src/sim/engine/simulate.js';
import { formatScenarioProblem, parseScenario } from '../src/sim/scenario/index.js';
import { STRATEGY_FACTORIES } from '../src/sim/strategies/index.js';

export interface ReplayBenchRow {
  readonly scenario: string;
  readonly strategy: StrategyName;
  /** Most nodes at any sample of the run. */
  readonly peakNodes: number;
  /** Virtual time replayed (the scenario's horizon), hours. */
  readonly virtualHours: number;
  /** Wall time of the replay, seconds (median run when several). */
  readonly replayWallSeconds: number;
  /** Peak resident set of the child process that ran it, MiB. */
  readonly rssMiB: number;
  /** Only the first `virtualHours` of the scenario were replayed (`--hours`). */
  readonly partial?: boolean;
}

export interface ReplayOnceOptions {
  /** Replay only the first this many hours (a shorter horizon; events past it never happen). */
  readonly hours?: number;
}

/** The target the nodewright row is held to (issue 4, section 2). */
export const TARGET_WALL_SECONDS = 60;

const SELF = fileURLToPath(import.meta.url);
export const REPLAY_SCENARIO = fileURLToPath(new URL('./scenarios/diurnal-1000.yaml', import.meta.url));
const STRATEGIES: readonly StrategyName[] = ['nodewright', 'cluster-autoscaler'];

/**
 * Replays the scenario file with one strategy in this process.
 * @throws Error when the scenario does not parse.
 */
export async function replayOnce(file: string, strategy: StrategyName, o: ReplayOnceOptions = {}): Promise<ReplayBenchRow> {
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.scenario) throw new Error(`benchmark scenario ${file} is not valid:\n${parsed.problems.map(formatScenarioProblem).join('\n')}`);
  const cut = o.hours !== undefined && o.hours * 3_600_000 < parsed.scenario.horizonMs;
  const scenario = cut ? { ...parsed.scenario, horizonMs: Math.round(o.hours * 3_600_000) } : parsed.scenario;
  const result = await simulate(scenario, { strategies: [strategy], factories: STRATEGY_FACTORIES });
  const r = result.strategies[strategy]!;
  return {
    scenario: scenario.name,
    strategy,
    peakNodes: r.peakNodes,
    virtualHours: scenario.horizonMs / 3_600_000,
    replayWallSeconds: Math.round(r.replayWallSeconds * 10) / 10,
    rssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(cut ? { partial: true } : {}),
  };
}

/** One run in a child process (its own heap and RSS). @throws Error when the child fails. */
function runChild(file: string, strategy: StrategyName, o: ReplaySuiteOptions): ReplayBenchRow {
  const args = [
    ...(o.cpuProfileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfileDir] : []),
    '--import', 'tsx', SELF, '--row', strategy, '--scenario', file,
    ...(o.hours !== undefined ? ['--hours', String(o.hours)] : []),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || line === '') throw new Error(`replay benchmark with ${strategy} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim()}`);
  return JSON.parse(line) as ReplayBenchRow;
}

export interface ReplaySuiteOptions {
  readonly strategies?: readonly StrategyName[];
  /** Runs per strategy; the row is the median by wall time (default 1: a run is a minute). */
  readonly runs?: number;
  readonly scenarioFile?: string;
  /** Replay only the first this many hours (see ReplayOnceOptions). */
  readonly hours?: number;
  /** Write each child's V8 CPU profile to this directory. */
  readonly cpuProfileDir?: string;
}

/** Runs one row per strategy, telling `onRow` of each as it ends. */
export function runReplaySuite(onRow: (row: ReplayBenchRow) => void = () => {}, o: ReplaySuiteOptions = {}): Promise<ReplayBenchRow[]> {
  const rows: ReplayBenchRow[] = [];
  for (const strategy of o.strategies ?? STRATEGIES) {
    const runs: ReplayBenchRow[] = [];
    for (let i = 0; i < Math.max(1, o.runs ?? 1); i++) runs.push(runChild(o.scenarioFile ?? REPLAY_SCENARIO, strategy, o));
    runs.sort((a, b) => a.replayWallSeconds - b.replayWallSeconds);
    const row = runs[Math.floor(runs.length / 2)]!;
    onRow(row);
    rows.push(row);
  }
  return Promise.resolve(rows);
}

export function replayTable(rows: readonly ReplayBenchRow[]): string {
  return renderTable(
    ['scenario', 'strategy', 'peak nodes', 'virtual h', 'replay wall s', 'peak RSS MiB', 'target'],
    rows.map((r) => [
      r.scenario, r.strategy, r.peakNodes, r.virtualHours, r.replayWallSeconds, r.rssMiB,
      r.strategy !== 'nodewright' ? '' : r.partial === true ? 'partial run'
        : r.replayWallSeconds <= TARGET_WALL_SECONDS ? `≤ ${TARGET_WALL_SECONDS} s: met` : `≤ ${TARGET_WALL_SECONDS} s: missed`,
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      row: { type: 'string' },
      scenario: { type: 'string' },
      strategy: { type: 'string' },
      runs: { type: 'string' },
      hours: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const file = values.scenario ?? REPLAY_SCENARIO;
  const named = (s: string): StrategyName => {
    if (s === 'nodewright' || s === 'cluster-autoscaler') return s;
    throw new Error(`--strategy: must be nodewright or cluster-autoscaler, got "${s}"`);
  };
  const hours = values.hours !== undefined ? Number(values.hours) : undefined;
  if (hours !== undefined && !(hours > 0 && Number.isFinite(hours))) throw new Error(`--hours: must be a positive number, got "${values.hours}"`);
  if (values.row !== undefined) {
    process.stdout.write(`${JSON.stringify(await replayOnce(file, named(values.row), hours !== undefined ? { hours } : {}))}\n`);
    return;
  }
  const o: ReplaySuiteOptions = {
    scenarioFile: file,
    ...(hours !== undefined ? { hours } : {}),
    ...(values['cpu-prof'] !== undefined ? { cpuProfileDir: values['cpu-prof'] } : {}),
    ...(values.strategy !== undefined ? { strategies: [named(values.strategy)] } : {}),
    ...(values.runs !== undefined ? { runs: Number(values.runs) } : {}),
  };
  if (values.json) {
    await runReplaySuite((r) => process.stdout.write(`${JSON.stringify(r)}\n`), o);
  } else {
    const rows = await runReplaySuite((r) => process.stderr.write(`  done: ${r.strategy}\n`), o);
    const day = values.scenario !== undefined ? `the day of ${values.scenario}` : 'a 24 h day of a cluster of about 1,000 nodes';
    const what = hours !== undefined ? `the first ${hours} h of ${day}` : day;
    process.stdout.write(`Replay: ${what}, wall time${(o.runs ?? 1) > 1 ? `, median of ${o.runs} runs` : ''}\n`);
    process.stdout.write(replayTable(rows));
  }
}

if (process.argv[1] !== undefined && SELF === process.argv[1]) {
  await main();
}
