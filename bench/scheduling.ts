/**
 * The scheduling benchmark (`npm run bench:scheduling [-- --json] [-- --only NAME,...]`): the public
 * Karpenter scheduling workload (see /work/shared/bench/karpenter-workload.md) on its 400 fake
 * instance types, plus a cost row on the EC2 catalogue against the LP lower bound.
 *
 * Each row runs in its own child process, so its peak RSS is its own. pods/s = pods / wall time of
 * one solve of the whole batch from a fresh solver over an empty cluster, median of at least 3 runs.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Pod } from '../src/apis/core.js';
import { ec2Catalog, karpenterBenchCatalog } from '../src/cloudprovider/catalog/index.js';
import type { InstanceType } from '../src/cloudprovider/types.js';
import { costLowerBound } from '../src/scheduling/lower-bound.js';
import { podRequests } from '../src/scheduling/pod-requests.js';
import { solve } from '../src/scheduling/solver.js';
import type { SolverInput, SolverResult } from '../src/scheduling/types.js';
import { renderTable } from '../src/cli/table.js';
import { benchNodePool, diversePods, mixedGenericPods, preferencePods } from './workloads.js';

/** One row of the benchmark table (and one JSON line). */
export interface BenchRow {
  readonly workload: string;
  readonly pods: number;
  readonly podsPerSec: number;
  readonly nodes: number;
  readonly pricePerHour: number;
  readonly peakRssMiB: number;
  /** Median wall time of one solve, in milliseconds. */
  readonly medianMs: number;
  readonly runs: number;
  readonly unschedulable: number;
  /** Cost row only: the LP lower bound ($/h) and pricePerHour / lowerBound. */
  readonly lowerBound?: number;
  readonly ratio?: number;
}

interface RowSpec {
  readonly workload: string;
  /** Builds the input (not timed). */
  readonly input: () => SolverInput;
  /** Extra figures computed once from the result (not timed). */
  readonly extra?: (input: SolverInput, result: SolverResult) => Promise<Partial<BenchRow>>;
}

export const DIVERSE_COUNTS = [1, 50, 100, 500, 1000, 2000, 5000, 10000, 20000] as const;
export const PREFERENCE_PODS = 4000;
export const COST_PODS = 3000;
/** The cost row's catalogue: current-generation (5+) c, m and r types in three zones, on-demand (real prices). */
export const COST_MIN_GENERATION = 5;

function karpenterInput(pods: Pod[], ignorePreferences = false): SolverInput {
  return {
    pods,
    nodePools: [{ nodePool: benchNodePool(), instanceTypes: karpenterBenchCatalog(400) }],
    options: { ignorePreferences },
  };
}

/** The EC2 catalogue of the cost row. */
export function costCatalog(): InstanceType[] {
  return ec2Catalog({ categories: ['c', 'm', 'r'] })
    .filter((t) => Number(t.requirements['karpenter.k8s.aws/instance-generation']?.[0] ?? '0') >= COST_MIN_GENERATION)
    .map((t) => ({ ...t, offerings: t.offerings.filter((o) => o.capacityType === 'on-demand') }))
    .filter((t) => t.offerings.length > 0);
}

/** Every row, in table order. */
export function rowSpecs(): RowSpec[] {
  return [
    ...DIVERSE_COUNTS.map((n): RowSpec => ({ workload: `diverse-${n}`, input: () => karpenterInput(diversePods(n)) })),
    { workload: `preferences-${PREFERENCE_PODS}`, input: () => karpenterInput(preferencePods(PREFERENCE_PODS)) },
    { workload: `preferences-${PREFERENCE_PODS}-ignored`, input: () => karpenterInput(preferencePods(PREFERENCE_PODS), true) },
    {
      workload: `cost-ec2-cmr-${COST_PODS}`,
      input: () => ({ pods: mixedGenericPods(COST_PODS), nodePools: [{ nodePool: benchNodePool(), instanceTypes: costCatalog() }] }),
      extra: async (input, result) => {
        const bound = await costLowerBound(input.pods.map(podRequests), input.nodePools[0]?.instanceTypes ?? []);
        return { lowerBound: bound.pricePerHour, ratio: result.totalPricePerHour / bound.pricePerHour };
      },
    },
  ];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs one row in this process: a warm-up solve (for batches up to 5,000 pods), then timed solves
 * until at least 3 were made and either 2 s passed or 15 were made.
 */
export async function runRow(spec: RowSpec): Promise<BenchRow> {
  const input = spec.input();
  if (input.pods.length <= 5000) solve(input);
  const times: number[] = [];
  let result: SolverResult | undefined;
  let spent = 0;
  while (times.length < 3 || (spent < 2000 && times.length < 15)) {
    const start = performance.now();
    result = solve(input);
    const ms = performance.now() - start;
    times.push(ms);
    spent += ms;
  }
  const last = result!;
  const medianMs = median(times);
  const extra = spec.extra === undefined ? {} : await spec.extra(input, last);
  return {
    workload: spec.workload,
    pods: input.pods.length,
    podsPerSec: input.pods.length / (medianMs / 1000),
    nodes: last.newNodeClaims.length,
    pricePerHour: last.totalPricePerHour,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    medianMs,
    runs: times.length,
    unschedulable: last.unschedulable.length,
    ...extra,
  };
}

const SELF = fileURLToPath(import.meta.url);

/**
 * Runs the chosen rows (all by default), each in a child process, calling `onRow` as each ends.
 * @throws Error naming the row when a child fails or prints no row.
 */
export function runSchedulingSuite(only: readonly string[] = [], onRow: (row: BenchRow) => void = () => {}): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const spec of rowSpecs()) {
    if (only.length > 0 && !only.includes(spec.workload)) continue;
    const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--row', spec.workload], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status !== 0 || line === '') {
      throw new Error(`benchmark row ${spec.workload} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim()}`);
    }
    const row = JSON.parse(line) as BenchRow;
    rows.push(row);
    onRow(row);
  }
  return rows;
}

const fixed = (x: number | undefined, digits: number): string => (x === undefined ? '' : x.toFixed(digits));

/** The rows as a table: workload, pods, pods/s, median ms, nodes, $/h, lower bound, ratio, peak RSS. */
export function schedulingTable(rows: readonly BenchRow[]): string {
  return renderTable(
    ['WORKLOAD', 'PODS', 'PODS/S', 'MEDIAN MS', 'RUNS', 'NODES', 'UNSCHED', '$/H', 'LP BOUND $/H', 'RATIO', 'PEAK RSS MIB'],
    rows.map((r) => [
      r.workload, r.pods, Math.round(r.podsPerSec), fixed(r.medianMs, 1), r.runs, r.nodes, r.unschedulable,
      fixed(r.pricePerHour, 2), fixed(r.lowerBound, 2), fixed(r.ratio, 3), Math.round(r.peakRssMiB),
    ]),
    { alignRight: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, row: { type: 'string' }, only: { type: 'string' } },
    strict: true,
  });
  if (values.row !== undefined) {
    const spec = rowSpecs().find((s) => s.workload === values.row);
    if (spec === undefined) throw new Error(`no benchmark row named ${values.row}`);
    process.stdout.write(`${JSON.stringify(await runRow(spec))}\n`);
    return;
  }
  const only = values.only?.split(',').filter((s) => s !== '') ?? [];
  if (values.json) {
    runSchedulingSuite(only, (row) => process.stdout.write(`${JSON.stringify(row)}\n`));
  } else {
    process.stdout.write(schedulingTable(runSchedulingSuite(only, (row) => process.stderr.write(`  done: ${row.workload}\n`))));
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
