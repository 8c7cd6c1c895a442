/**
 * `npm run bench [-- --json]`: every benchmark suite (scheduling, controller overhead, disruption,
 * the replay of the bundled 24 h diurnal day, decision latency on kube-apiserver), printed as
 * tables, or as one JSON object per line and row with `--json`. The latency suite starts a real
 * control plane (built once into .cache/k8s); the 1,000-node day is `npm run bench:replay` alone.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { controllersTable, runControllersSuite } from './controllers.js';
import { disruptionTable, runDisruptionSuite } from './disruption.js';
import { latencyTable, runLatencySuite } from './latency.js';
import { replayTable, runReplaySuite } from './replay.js';
import { runSchedulingSuite, schedulingTable } from './scheduling.js';

const DIURNAL = fileURLToPath(new URL('../examples/diurnal.yaml', import.meta.url));

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } }, strict: true });
if (values.json) {
  const line = (suite: string) => (row: object): void => void process.stdout.write(`${JSON.stringify({ suite, ...row })}\n`);
  runSchedulingSuite([], line('scheduling'));
  await runControllersSuite(line('controllers'));
  runDisruptionSuite([], line('disruption'));
  await runReplaySuite(line('replay'), { scenarioFile: DIURNAL });
  await runLatencySuite(line('latency'));
} else {
  const done = <R>(suite: string, name: (row: R) => string) => (row: R): void => void process.stderr.write(`  done: ${suite} ${name(row)}\n`);
  const rows = runSchedulingSuite([], done('scheduling', (r: { workload: string }) => r.workload));
  process.stdout.write(`nodewright benchmarks\n\nScheduling: Karpenter's workload on its 400 fake types; cost row on EC2 c/m/r gen 5+, on-demand\n`);
  process.stdout.write(schedulingTable(rows));
  const controllers = await runControllersSuite(done('controllers', (r: { workload: string }) => r.workload));
  process.stdout.write(`\nController overhead: CPU ms from the batch window closing to the cloud create call, 1,000 pods\n`);
  process.stdout.write(controllersTable(controllers));
  const disruption = runDisruptionSuite([], done('disruption', (r: { workload: string }) => r.workload));
  process.stdout.write(`\nDisruption: one consolidation pass over a cluster state of 5,000 nodes and 100,000 pods (EC2 types)\n`);
  process.stdout.write(disruptionTable(disruption));
  const replay = await runReplaySuite(done('replay', (r: { strategy: string }) => r.strategy), { scenarioFile: DIURNAL });
  process.stdout.write(`\nReplay: the bundled 24 h diurnal day (examples/diurnal.yaml), wall time\n`);
  process.stdout.write(replayTable(replay));
  const latency = await runLatencySuite(done('latency', (r: { scheduler: string; idleWindowMs: number }) => `${r.scheduler} kube-scheduler, ${r.idleWindowMs} ms window`));
  process.stdout.write(`\nDecision latency on kube-apiserver: pod marked Unschedulable to its NodeClaim created, 1,000 pods\n`);
  process.stdout.write(latencyTable(latency));
}
