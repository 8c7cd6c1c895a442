/**
 * `nodewright controller` as its own process against a test control plane, as one replica of the
 * controller Deployment runs: started with a kubeconfig and flags, its output kept, killed, stopped,
 * restarted, and (like the kubelet would) started again when it exits on its own, when asked.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LOOPBACK_FLAGS } from './kwok-cluster.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The controller process failed to do what was awaited; the message has its notable log lines. */
export class OperatorProcessError extends Error {
  override readonly name = 'OperatorProcessError';
}

/** Options of {@link OperatorProcess}. */
export interface OperatorProcessOptions {
  readonly kubeconfigPath: string;
  /** Flags after `controller --cloud-provider kwok` and the loopback flags. */
  readonly args: readonly string[];
  /** Start it again a second after it exits on its own (lost leadership ends the process); default false. */
  readonly restartOnExit?: boolean;
  /** How much of the output {@link OperatorProcess.log} keeps at least, in characters (default 200,000; it trims to that when it reaches twice as much). */
  readonly logLimit?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (default 15 s). */
  readonly stopGraceMs?: number;
}

/**
 * One replica: the process is spawned by the constructor. `log` holds the tail of every
 * incarnation's output; `restarts` counts the exits on its own that were restarted.
 */
export class OperatorProcess {
  log = '';
  restarts = 0;
  #child: ChildProcess;
  #exited: Promise<void> = Promise.resolve();
  #incarnation = '';
  #ended = false;
  #restarting = false;
  constructor(readonly o: OperatorProcessOptions) {
    this.#child = this.#spawn();
  }

  /** Whether the current incarnation has started the controllers. */
  leading(): boolean {
    return this.#incarnation.includes('leading: controllers started');
  }

  /** Whether the current incarnation is up (leading or standing by). */
  started(): boolean {
    return this.#incarnation.includes('nodewright controller started');
  }

  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  #spawn(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'controller', '--cloud-provider', 'kwok', ...LOOPBACK_FLAGS, ...this.o.args],
      { cwd: repoRoot, env: { ...process.env, KUBECONFIG: this.o.kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#incarnation = '';
    const onData = (b: Buffer): void => {
      const text = b.toString();
      this.#incarnation += text;
      // Trimming on every chunk would copy the whole kept tail each time; trim once it doubles.
      const limit = this.o.logLimit ?? 200_000;
      this.log += text;
      if (this.log.length > 2 * limit) this.log = this.log.slice(-limit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.#exited = new Promise((resolve) => child.once('exit', () => {
      resolve();
      if (this.#ended || this.#restarting || !this.o.restartOnExit) return;
      this.restarts++;
      void sleep(1_000).then(() => { if (!this.#ended && !this.#restarting) this.#child = this.#spawn(); });
    }));
    return child;
  }

  /**
   * Resolves once the current incarnation leads with its controllers started.
   * @throws OperatorProcessError after `timeoutMs`, or as soon as it exits when it is not restarted.
   */
  async untilLeading(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.leading()) {
      const exited = this.#child.exitCode !== null || this.#child.signalCode !== null;
      if ((exited && !this.o.restartOnExit) || performance.now() > deadline) {
        throw new OperatorProcessError(`starting nodewright controller: it did not start leading within ${timeoutMs} ms (exit ${this.#child.exitCode}); its log:\n${notable(this.log)}`);
      }
      await sleep(50);
    }
  }

  /** SIGKILL, as a machine dying would: not started again. */
  async kill(): Promise<void> {
    this.#ended = true;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGKILL the running process and start a new one at once (not counted in `restarts`). */
  async restart(): Promise<void> {
    this.#restarting = true;
    this.#child.kill('SIGKILL');
    await this.#exited;
    this.#restarting = false;
    this.#child = this.#spawn();
  }

  /** SIGTERM, SIGKILL after the grace period; not started again. Idempotent; resolves once it has exited. */
  async stop(): Promise<void> {
    this.#ended = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    await Promise.race([this.#exited, sleep(this.o.stopGraceMs ?? 15_000)]);
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

/** The warn/error lines of a controller's log (the last 30), and its last 15 lines. */
export function notable(log: string): string {
  const lines = log.split('\n');
  return [...lines.filter((l) => /"level":"(warn|error|fatal)"/.test(l)).slice(-30), '...', ...lines.slice(-15)].join('\n').slice(-8000);
}

/** Why a replica lost leadership, from its log: the messages of its `lost leadership` lines. */
export function lostLines(log: string): string {
  return log.split('\n').filter((l) => l.includes('lost leadership')).map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l).join('; ');
}
