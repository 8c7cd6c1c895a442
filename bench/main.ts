/**
 * `npm run bench [-- --json]`: every benchmark suite (scheduling for now), printed as one table, or
 * as one JSON object per line and row with `--json`.
 */
import { parseArgs } from 'node:util';
import { runSchedulingSuite, schedulingTable } from './scheduling.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } }, strict: true });
if (values.json) {
  runSchedulingSuite([], (row) => process.stdout.write(`${JSON.stringify({ suite: 'scheduling', ...row })}\n`));
} else {
  const rows = runSchedulingSuite([], (row) => process.stderr.write(`  done: scheduling ${row.workload}\n`));
  process.stdout.write(`nodewright benchmarks (scheduling: Karpenter's workload on its 400 fake types; cost row on EC2 c/m/r gen 5+, on-demand)\n`);
  process.stdout.write(schedulingTable(rows));
}
