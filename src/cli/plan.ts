/**
 * `nodewright plan -f FILE... [--catalog NAME] [--output table|json]`: what nodewright would launch
 * for these manifests, without launching anything.
 */
import { parseArgs } from 'node:util';
import { emptyManifestSet, formatProblem, parseManifests } from '../apis/manifests.js';
import { CATALOG_NAMES, EC2_SYNTHETIC_NOTICE, catalogByName, isCatalogName } from '../cloudprovider/catalog/index.js';
import { solve } from '../scheduling/solver.js';
import { EXIT_BAD_INPUT, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';
import { buildPlanInput } from './plan-input.js';
import { planJson, planTable } from './plan-output.js';

export const PLAN_USAGE = `Usage: nodewright plan -f FILE... [--catalog ${CATALOG_NAMES.join('|')}] [--output table|json]

Reads Kubernetes manifests (Pods; Deployments, ReplicaSets, StatefulSets and Jobs, expanded into
their pods; NodePools; v1alpha5 Provisioners; Nodes with the pods bound to them; PersistentVolumes,
PersistentVolumeClaims, StorageClasses, DaemonSets), runs the scheduler and prints the NodeClaims
nodewright would launch, the pods it would place on existing nodes, and the pods it cannot place.

Options:
  -f, --file FILE     a manifest file (YAML or JSON, many documents); repeat for more; "-" is stdin
  -c, --catalog NAME  the instance types to plan with (default aws)
  -o, --output FMT    table (default) or json
  -h, --help          this help

Exit codes: 0 planned, 2 bad input (every problem is printed with its file, document and field),
1 internal error.
`;

const OUTPUTS = ['table', 'json'] as const;

class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

interface PlanOptions {
  readonly files: string[];
  readonly catalog: string;
  readonly output: (typeof OUTPUTS)[number];
  readonly help: boolean;
}

function parsePlanArgs(args: readonly string[]): PlanOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        catalog: { type: 'string', short: 'c', default: 'aws' },
        output: { type: 'string', short: 'o', default: 'table' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const output = values.output;
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}, got "${output}"`);
  if (!isCatalogName(values.catalog)) throw new UsageError(`--catalog must be one of ${CATALOG_NAMES.join(', ')}, got "${values.catalog}"`);
  return { files: values.file ?? [], catalog: values.catalog, output: output as PlanOptions['output'], help: values.help };
}

/**
 * Runs `plan` with its arguments (after the subcommand). Returns the exit code; writes the plan to
 * stdout and problems, warnings and notes to stderr.
 * @throws only for internal errors (the caller maps them to exit code 1).
 */
export async function runPlan(args: readonly string[], io: CliIo): Promise<number> {
  let options: PlanOptions;
  try {
    options = parsePlanArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`nodewright plan: ${err.message}\n\n${PLAN_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  if (options.help) {
    io.stdout(PLAN_USAGE);
    return EXIT_OK;
  }
  if (options.files.length === 0) {
    io.stderr(`nodewright plan: at least one -f FILE is required\n\n${PLAN_USAGE}`);
    return EXIT_BAD_INPUT;
  }

  const set = emptyManifestSet();
  const problems = [];
  for (const file of options.files) {
    let text: string;
    try {
      text = await io.readFile(file);
    } catch (err) {
      io.stderr(`nodewright plan: reading ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT_BAD_INPUT;
    }
    problems.push(...parseManifests(text, file === '-' ? '<stdin>' : file, set).problems);
  }
  const planInput = buildPlanInput(set, catalogByName(options.catalog), options.catalog);
  problems.push(...planInput.problems);
  for (const p of problems) io.stderr(`${formatProblem(p)}\n`);
  const errors = problems.filter((p) => p.severity === 'error').length;
  if (errors > 0) {
    io.stderr(`nodewright plan: ${errors} problem${errors === 1 ? '' : 's'} in the input; nothing planned\n`);
    return EXIT_BAD_INPUT;
  }
  for (const note of planInput.notes) io.stderr(`note: ${note}\n`);
  if (options.catalog === 'aws') io.stderr(`note: ${EC2_SYNTHETIC_NOTICE}\n`);

  const result = solve(planInput.input);
  io.stdout(options.output === 'json' ? `${JSON.stringify(planJson(result, options.catalog), null, 2)}\n` : planTable(result, options.catalog));
  return EXIT_OK;
}
