/**
 * `npm run bench [-- --json]`: every benchmark suite (scheduling, controller overhead, disruption), printed as tables, or
 * as one JSON object per line and row with `--json`.
 */
import { parseArgs } from 'node:util';
import { controllersTable, runControllersSuite } from './controllers.js';
import { disruptionTable, runDisruptionSuite } from './disruption.js';
import { runSchedulingSuite, schedulingTable } from './scheduling.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } }, strict: true });
if (values.json) {
  runSchedulingSuite([], (row) => process.stdout.write(`${JSON.stringify({ suite: 'scheduling', ...row })}\n`));
  await runControllersSuite((row) => process.stdout.write(`${JSON.stringify({ suite: 'controllers', ...row })}\n`));
  runDisruptionSuite([], (row) => process.stdout.write(`${JSON.stringify({ suite: 'disruption', ...row })}\n`));
} else {
  const rows = runSchedulingSuite([], (row) => process.stderr.write(`  done: scheduling ${row.workload}\n`));
  process.stdout.write(`nodewright benchmarks\n\nScheduling: Karpenter's workload on its 400 fake types; cost row on EC2 c/m/r gen 5+, on-demand\n`);
  process.stdout.write(schedulingTable(rows));
  const controllers = await runControllersSuite((row) => process.stderr.write(`  done: controllers ${row.workload}\n`));
  process.stdout.write(`\nController overhead: CPU ms from the batch window closing to the cloud create call, 1,000 pods\n`);
  process.stdout.write(controllersTable(controllers));
  const disruption = runDisruptionSuite([], (row) => process.stderr.write(`  done: disruption ${row.workload}\n`));
  process.stdout.write(`\nDisruption: one consolidation pass over a cluster state of 5,000 nodes and 100,000 pods (EC2 types)\n`);
  process.stdout.write(disruptionTable(disruption));
}
