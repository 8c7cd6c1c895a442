/**
 * The `nodewright` command line: dispatches to a subcommand and maps failures to exit codes
 * (0 ok, 2 bad input or usage, 1 internal error).
 */
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';
import { runPlan } from './plan.js';
import { runSimulate } from './simulate.js';
import { runExplain } from './explain.js';
import { runController } from '../operator/main.js';

export interface Command {
  /** One line for the usage text. */
  readonly summary: string;
  /** Runs with the arguments after the subcommand's name; returns the exit code. */
  readonly run: (args: readonly string[], io: CliIo) => Promise<number>;
}

/** The subcommands, by name. simulate, controller and explain join here as they are built. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  plan: { summary: 'print the NodeClaims nodewright would launch for some manifests, without launching', run: runPlan },
  controller: { summary: 'run nodewright against a real cluster (see --help for every flag and its environment variable)', run: (args, io) => runController(args, io) },
  explain: { summary: 'answer why a pod was placed where it was, why a node was launched or consolidated, and what consolidation saved, from a simulate --json result', run: runExplain },
  simulate: { summary: 'replay a scenario in the embedded cluster with nodewright and the Cluster Autoscaler, and compare', run: runSimulate },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: nodewright <command> [options]

nodewright is a just-in-time node autoscaler for Kubernetes (the Karpenter v1 API).

Commands:
${lines.join('\n')}

Run "nodewright <command> --help" for a command's options.
`;
}

/**
 * Runs the command line `argv` (without node and the script). Never throws: an unexpected error is
 * printed with its stack and gives exit code 1.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`nodewright: unknown command "${name}"\n\n${usage()}`);
    return EXIT_BAD_INPUT;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr(`nodewright ${name}: internal error: ${detail}\n`);
    return EXIT_INTERNAL;
  }
}
