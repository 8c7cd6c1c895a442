/**
 * `nodewright simulate SCENARIO [--strategy nodewright|cluster-autoscaler|both] [--report FILE]
 * [--json FILE] [--sample-step DURATION]`: replays a scenario on the embedded cluster and simulated
 * cloud, once per strategy, and prints the comparison. Bad input: the file, line and path, exit 2,
 * nothing written.
 */
import { parseArgs } from 'node:util';
import { renderReport } from '../sim/report/html.js';
import { renderSummary } from '../sim/report/summary.js';
import type { StrategyName } from '../sim/result.js';
import { formatScenarioProblem, parseScenario } from '../sim/scenario/index.js';
import { simulate } from '../sim/engine/simulate.js';
import { STRATEGY_FACTORIES } from '../sim/strategies/index.js';
import { DurationError, parseDuration } from '../utils/duration.js';
import { EXIT_BAD_INPUT, EXIT_OK, type CliIo } from './io.js';

export const SIMULATE_USAGE = `Usage: nodewright simulate SCENARIO [options]

Replays SCENARIO (YAML, see examples/) in the embedded cluster and simulated cloud on a virtual
clock, with nodewright, the Cluster Autoscaler model, or both, and prints cost and pod wait time.

Options:
  --strategy nodewright|cluster-autoscaler|both   which autoscalers to run (default both)
  --report FILE        write a self-contained HTML report
  --json FILE          write the results as JSON
  --sample-step DUR    time between samples (default: horizon / 720, at least 10s)
  -h, --help           this text
`;

const STRATEGY_CHOICES: Readonly<Record<string, readonly StrategyName[]>> = {
  nodewright: ['nodewright'],
  'cluster-autoscaler': ['cluster-autoscaler'],
  both: ['nodewright', 'cluster-autoscaler'],
};

function progressBar(io: CliIo): ((s: StrategyName, f: number) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  return (strategy, fraction) => {
    const width = 30;
    const done = Math.round(fraction * width);
    io.stderr(`\r  ${strategy.padEnd(18)} [${'#'.repeat(done)}${' '.repeat(width - done)}] ${Math.round(fraction * 100)}%${fraction >= 1 ? '\n' : ''}`);
  };
}

export async function runSimulate(args: readonly string[], io: CliIo): Promise<number> {
  let values: { strategy?: string; report?: string; json?: string; 'sample-step'?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        strategy: { type: 'string' },
        report: { type: 'string' },
        json: { type: 'string' },
        'sample-step': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`nodewright simulate: ${err instanceof Error ? err.message : String(err)}\n\n${SIMULATE_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  if (values.help) {
    io.stdout(SIMULATE_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    io.stderr(`nodewright simulate: give exactly one scenario file\n\n${SIMULATE_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const strategies = STRATEGY_CHOICES[values.strategy ?? 'both'];
  if (!strategies) {
    io.stderr(`nodewright simulate: --strategy: must be nodewright, cluster-autoscaler or both, got "${values.strategy}"\n`);
    return EXIT_BAD_INPUT;
  }
  let sampleStepMs: number | undefined;
  if (values['sample-step'] !== undefined) {
    try {
      sampleStepMs = parseDuration(values['sample-step']);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      io.stderr(`nodewright simulate: --sample-step: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
  }
  const file = positionals[0]!;
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (err) {
    io.stderr(`nodewright simulate: reading ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_BAD_INPUT;
  }
  const { scenario, problems } = parseScenario(text, file);
  if (!scenario) {
    io.stderr(`nodewright simulate: ${file} is not a valid scenario:\n${problems.map((p) => `  ${formatScenarioProblem(p)}`).join('\n')}\n`);
    return EXIT_BAD_INPUT;
  }
  const onProgress = progressBar(io);
  const result = await simulate(scenario, {
    strategies,
    factories: STRATEGY_FACTORIES,
    ...(sampleStepMs !== undefined ? { sampleStepMs } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  io.stdout(renderSummary(result));
  if (values.json) await io.writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.report) {
    await io.writeFile(values.report, renderReport(result));
    io.stdout(`\nReport written to ${values.report}\n`);
  }
  return EXIT_OK;
}
