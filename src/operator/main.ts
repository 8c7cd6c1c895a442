/**
 * `nodewright controller`: parse the options once, build the operator, run it until SIGTERM/SIGINT
 * (exit 0) or until it ends on its own (lost leadership or a failed start: exit 1, so Kubernetes
 * restarts the pod). Bad flags or configuration exit 2 with the reason.
 */
import { KubeConfigError } from '../kube/real/config.js';
import { CloudProviderSetupError } from './cloud-providers.js';
import { HttpServeError } from './http.js';
import type { OperatorDeps } from './operator.js';
import { Operator } from './operator.js';
import { OptionsError, parseOperatorOptions } from './options.js';

/** Where the command writes (structurally the CLI's io). */
export interface ControllerIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface ControllerRunDeps extends Partial<Omit<OperatorDeps, 'options'>> {
  /** Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Calls `handler` on SIGTERM or SIGINT; returns an unsubscribe (default: the process's signals). */
  readonly onShutdownSignal?: (handler: (signal: string) => void) => () => void;
  /** Told once the operator is serving (tests). */
  readonly onStarted?: (operator: Operator) => void;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

function processSignals(handler: (signal: string) => void): () => void {
  const on = (signal: NodeJS.Signals): void => handler(signal);
  process.once('SIGTERM', on);
  process.once('SIGINT', on);
  return () => {
    process.off('SIGTERM', on);
    process.off('SIGINT', on);
  };
}

/**
 * Runs `nodewright controller` with `args` (after the subcommand); returns the exit code.
 * @throws only unexpected errors (the CLI reports them as internal errors).
 */
export async function runController(args: readonly string[], io: ControllerIo, deps: ControllerRunDeps = {}): Promise<number> {
  let operator: Operator;
  try {
    const parsed = parseOperatorOptions(args, deps.env ?? process.env);
    if (parsed.kind === 'help') {
      io.stdout(parsed.text);
      return EXIT_OK;
    }
    operator = new Operator({ ...deps, options: parsed.options });
  } catch (e) {
    if (e instanceof OptionsError || e instanceof KubeConfigError || e instanceof CloudProviderSetupError || e instanceof RangeError) {
      io.stderr(`nodewright controller: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
  const unsubscribe = (deps.onShutdownSignal ?? processSignals)((signal) => {
    operator.log.info({ signal }, `received ${signal}: shutting down`);
    void operator.stop();
  });
  try {
    await operator.start();
  } catch (e) {
    unsubscribe();
    await operator.stop();
    if (e instanceof HttpServeError) {
      io.stderr(`nodewright controller: ${e.message}\n`);
      return EXIT_FAILED;
    }
    throw e;
  }
  deps.onStarted?.(operator);
  const end = await operator.done;
  unsubscribe();
  return end === 'stopped' ? EXIT_OK : EXIT_FAILED;
}
