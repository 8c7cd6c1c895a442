/**
 * The real KWOK controller (sigs.k8s.io/kwok) for the integration tier: built once from the Go
 * module proxy by scripts/kwok.sh (cached under .cache/kwok with KWOK's default stages), then run
 * out of cluster against a test control plane, managing only the Nodes our kwok provider creates
 * (annotation kwok.x-k8s.io/node=fake). Beside it, kube-controller-manager's node lifecycle
 * controller does on the test control plane what it does on every real cluster: it lifts the
 * not-ready taint the API server puts on new Nodes once they report Ready, and it would mark a node
 * whose Lease stops being renewed NotReady. KWOK does neither of those itself.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Node } from '../apis/core.js';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from '../cloudprovider/kwok/node.js';
import { ensureBinaries } from './control-plane.js';

/** Building, starting or running KWOK (or its companion) failed; the message says which, with output. */
export class KwokError extends Error {
  override readonly name = 'KwokError';
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const kwokScript = join(repoRoot, 'scripts', 'kwok.sh');
const STOP_GRACE_MS = 5_000;

/** The built controller and the stages config to run it with. */
export interface KwokBinary {
  readonly binary: string;
  /** KWOK's default stages of that version (node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete). */
  readonly stagesConfig: string;
}

let built: Promise<KwokBinary> | undefined;

/**
 * The kwok binary and its stages file, building them first when they are not cached (once per
 * process; build output goes to stderr).
 * @throws KwokError with the tail of the build output when the build fails (no Go, no proxy, a Go
 *   older than the version needs).
 */
export function ensureKwok(): Promise<KwokBinary> {
  built ??= new Promise<KwokBinary>((resolve, reject) => {
    const child = spawn('bash', [kwokScript], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      process.stderr.write(c);
      stderr = (stderr + c.toString()).slice(-4000);
    });
    child.on('error', (e) => reject(new KwokError(`running ${kwokScript}: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      const binary = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || binary === '') {
        reject(new KwokError(`building kwok with ${kwokScript} failed (exit ${code}); it needs Go on PATH and the Go module proxy. Last output:\n${stderr}`));
        return;
      }
      resolve({ binary, stagesConfig: join(binary, '..', 'stages.yaml') });
    });
  }).catch((e: unknown) => {
    built = undefined;
    throw e;
  });
  return built;
}

/**
 * Whether the Node's status was written by KWOK: its node-initialize stage reports kubelet version
 * `kwok-<version>` (our node agent reports none). Our Node type does not model nodeInfo, so it is
 * read from the raw object.
 */
export function reportedByKwok(node: Node): boolean {
  const status = node.status as { nodeInfo?: { kubeletVersion?: unknown } } | undefined;
  const version = status?.nodeInfo?.kubeletVersion;
  return typeof version === 'string' && version.startsWith('kwok-');
}

/** A process started here; `stop()` is idempotent and never throws. */
export interface RunningProcess {
  readonly name: string;
  /** Its combined stdout and stderr. */
  readonly logPath: string;
  /** How it ended (exit code or signal), or undefined while it runs. */
  ended(): string | undefined;
  /** The last lines of its log. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 5 s; removes its temporary directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new KwokError('no TCP port was assigned');
  return address.port;
}

async function launch(name: string, binary: string, args: readonly string[]): Promise<RunningProcess> {
  const dir = await mkdtemp(join(tmpdir(), `nodewright-${name}-`));
  const logPath = join(dir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e) => { ended ??= `could not start: ${e.message}`; resolve(); });
    child.once('exit', (code, signal) => { ended ??= code === null ? `signal ${signal}` : `exit code ${code}`; resolve(); });
  });
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.on('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n').slice(-6000);
    } catch {
      return '(no log)';
    }
  };
  return {
    name, logPath, logTail,
    ended: () => ended,
    stop: () => (stopping ??= (async () => {
      if (ended === undefined) {
        child.kill('SIGTERM');
        const grace = new AbortController();
        const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false)]);
        grace.abort();
        if (!inTime) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    })()),
  };
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Options of {@link startKwok}. */
export interface StartKwokOptions {
  readonly kubeconfigPath: string;
  /**
   * leaseDurationSeconds of the node Leases KWOK holds and renews every quarter of it (default 40,
   * as the kubelet's). 0 turns Leases off (then KWOK renews no heartbeat at all).
   */
  readonly nodeLeaseDurationSeconds?: number;
  /** How long it may take to serve /healthz (default 60 s). */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts the KWOK controller out of cluster with the kubeconfig, KWOK's default stages and
 * `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake` (the annotation our kwok
 * provider puts on its Nodes), and resolves once its server answers /healthz (its controllers have
 * started by then). @throws KwokError when it cannot be built, exits, or is not healthy in time
 * (with its log tail); it is stopped first.
 */
export async function startKwok(o: StartKwokOptions): Promise<RunningProcess> {
  const { binary, stagesConfig } = await ensureKwok();
  const port = await freePort();
  const proc = await launch('kwok', binary, [
    `--config=${stagesConfig}`, `--kubeconfig=${o.kubeconfigPath}`,
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
    `--node-lease-duration-seconds=${o.nodeLeaseDurationSeconds ?? 40}`,
    `--server-address=127.0.0.1:${port}`,
  ]);
  const deadline = performance.now() + (o.readyTimeoutMs ?? 60_000);
  let last = 'no answer yet';
  for (;;) {
    const ended = proc.ended();
    if (ended !== undefined) {
      await proc.stop();
      throw new KwokError(`kwok ended (${ended}) before it was healthy; last log lines:\n${proc.logTail()}`);
    }
    try {
      const status = await httpStatus(`http://127.0.0.1:${port}/healthz`);
      if (status === 200) return proc;
      last = `HTTP ${status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (performance.now() > deadline) {
      const tail = proc.logTail();
      await proc.stop();
      throw new KwokError(`kwok was not healthy at 127.0.0.1:${port}/healthz in time (last: ${last}); last log lines:\n${tail}`);
    }
    await sleep(100);
  }
}

/**
 * Starts kube-controller-manager (from the control plane's cached binaries) running only the node
 * lifecycle controller, with the given admin kubeconfig. It serves no port, so this resolves once the
 * process is running; its effect (the not-ready taint lifted from Ready nodes) is what tests wait for.
 * @throws KwokError if it exits within the first second, with its log tail.
 */
export async function startNodeLifecycleController(kubeconfigPath: string): Promise<RunningProcess> {
  const bins = await ensureBinaries();
  const proc = await launch('node-lifecycle', bins.controllerManager, [
    `--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--controllers=nodelifecycle',
    '--use-service-account-credentials=false', '--secure-port=0',
  ]);
  await sleep(1_000);
  const ended = proc.ended();
  if (ended !== undefined) {
    await proc.stop();
    throw new KwokError(`kube-controller-manager (node lifecycle) ended (${ended}); last log lines:\n${proc.logTail()}`);
  }
  return proc;
}
