/**
 * A real Kubernetes control plane for the integration tier: etcd, kube-apiserver (RBAC on, client
 * certificates) and optionally kube-scheduler and kube-controller-manager (the disruption controller
 * only), on free loopback ports with a temporary directory,
 * the way controller-runtime's envtest does. Binaries come from scripts/k8s-binaries.sh, which
 * builds them from the Go module proxy on first use.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Also run kube-scheduler (default false: pods stay Pending unless something binds them). */
  readonly scheduler?: boolean;
  /**
   * Also run kube-controller-manager with only the disruption controller (default false), which
   * fills in PodDisruptionBudget status, as pods/eviction needs. Nothing else is controlled: no
   * garbage collection, namespaces stay Terminating, workloads create no pods.
   */
  readonly controllerManager?: boolean;
  /** How long each component may take to become healthy (default 120 s: a 2-core machine is slow). */
  readonly readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, after the defaults (e.g. `--feature-gates=...`). */
  readonly apiserverArgs?: readonly string[];
  /**
   * Extra kube-scheduler flags, after the defaults (e.g. `--feature-gates=SchedulerAsyncAPICalls=true`);
   * used only with `scheduler`. A flag the binary does not know makes the start fail with its log.
   */
  readonly schedulerArgs?: readonly string[];
}

/** A running control plane. PEM strings are the admin's credentials (group system:masters). */
export interface ControlPlane {
  /** A kubeconfig (credentials embedded) for the admin user; current context points at `server`. */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` of kube-apiserver. */
  readonly server: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Kills every process and removes the temporary directory. Idempotent; never throws. */
  stop(): Promise<void>;
  /**
   * Stops kube-apiserver (SIGTERM, as a rolling upgrade would) and starts it again on the same
   * port and etcd, resolving once it is ready. Its watch caches start afresh: watches in flight
   * end, and resuming from a version older than the restart gets 410 Expired.
   * @throws ControlPlaneError if it does not come back, with its log tail.
   */
  restartApiServer(): Promise<void>;
}

/** Starting or preparing the control plane failed; the message says which step and shows logs. */
export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const binariesScript = join(repoRoot, 'scripts', 'k8s-binaries.sh');
const POLL_MS = 100;
const STOP_GRACE_MS = 5_000;

/** Absolute paths of the control-plane binaries. */
export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly apiserver: string;
  readonly scheduler: string;
  readonly controllerManager: string;
}
let binaries: Promise<ControlPlaneBinaries> | undefined;

interface RunResult { readonly code: number | null; readonly stdout: string; readonly stderrTail: string }

/** Runs a command to completion; rejects only if it cannot be started (e.g. it is not installed). */
function run(command: string, args: readonly string[], cwd: string, echoStderr = false): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      if (echoStderr) process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderrTail }));
  });
}

/**
 * Paths of the binaries, building them first if they are missing (once per process; the build
 * output is passed through to stderr). Throws ControlPlaneError with the tail of the build output.
 */
export function ensureBinaries(): Promise<ControlPlaneBinaries> {
  binaries ??= runBinariesScript().catch((err: unknown) => {
    binaries = undefined;
    throw err;
  });
  return binaries;
}

async function runBinariesScript(): Promise<ControlPlaneBinaries> {
  const res = await run('bash', [binariesScript], repoRoot, true).catch((err: unknown) => {
    throw new ControlPlaneError(`running ${binariesScript}: ${String(err)}`, { cause: err });
  });
  if (res.code !== 0) {
    throw new ControlPlaneError(
      `building the control-plane binaries with ${binariesScript} failed (exit ${res.code}); it needs Go >= 1.26 ` +
        `and the Go module proxy. Last output:\n${res.stderrTail}`,
    );
  }
  const paths = new Map(res.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const [etcd, apiserver, scheduler, controllerManager] =
    ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'].map((n) => paths.get(n));
  if (!etcd || !apiserver || !scheduler || !controllerManager) {
    throw new ControlPlaneError(`${binariesScript} did not print a path for every binary:\n${res.stdout}`);
  }
  return { etcd, apiserver, scheduler, controllerManager };
}

/** Free loopback ports, distinct from each other (all held open until every one is known). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new ControlPlaneError('no TCP port was assigned');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  const res = await run('openssl', args, dir).catch((err: unknown) => {
    throw new ControlPlaneError(
      'making the test certificates needs the openssl CLI, which could not be run; ' +
        'install it (Debian/Ubuntu: apt-get install openssl)',
      { cause: err },
    );
  });
  if (res.code !== 0) {
    throw new ControlPlaneError(`making test certificates: openssl ${args.join(' ')} failed (exit ${res.code}):\n${res.stderrTail}`);
  }
}

/** A P-256 key pair `<name>.key` and a certificate `<name>.crt` signed by the CA in `dir`. */
function leafCert(dir: string, name: string, subject: string, extensions: readonly string[]): Promise<void> {
  return openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '7', '-subj', subject,
    '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
}

/** CA, serving cert, admin, scheduler and controller-manager client certs, service-account key pair: files in `dir`. */
async function makePki(dir: string): Promise<void> {
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=nodewright-test-ca',
  ]);
  await Promise.all([
    leafCert(dir, 'serving', '/CN=kube-apiserver', [
      'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth',
    ]),
    leafCert(dir, 'admin', '/O=system:masters/CN=nodewright-admin', ['extendedKeyUsage=clientAuth']),
    leafCert(dir, 'scheduler', '/CN=system:kube-scheduler', ['extendedKeyUsage=clientAuth']),
    // Without per-controller service accounts the controllers act as the manager itself, and the
    // bootstrap role system:kube-controller-manager does not cover them: give it the admin group.
    leafCert(dir, 'controller-manager', '/O=system:masters/CN=system:kube-controller-manager', ['extendedKeyUsage=clientAuth']),
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'])
      .then(() => openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'])),
  ]);
}

function kubeconfig(server: string, ca: string, cert: string, key: string, user: string): string {
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user } }],
    'current-context': 'test',
  }, null, 2);
}

/** A child process; `ended` says how it ended (exit code, signal, or failure to start), once it has. */
interface Proc { readonly name: string; readonly child: ChildProcess; readonly log: string; readonly exited: Promise<void>; ended?: string }

function launch(name: string, binary: string, args: readonly string[], dir: string): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', fd, fd] });
    let resolveExited = (): void => {};
    const proc: Proc = { name, child, log, exited: new Promise((resolve) => (resolveExited = resolve)) };
    child.once('error', (err) => {
      proc.ended ??= `could not start: ${err.message}`;
      resolveExited();
    });
    child.once('exit', (code, signal) => {
      proc.ended ??= code === null ? `signal ${signal}` : `exit code ${code}`;
      resolveExited();
    });
    return proc;
  } finally {
    closeSync(fd);
  }
}

function logTail(proc: Proc, lines = 25): string {
  let text = '';
  try {
    text = readFileSync(proc.log, 'utf8');
  } catch {
    return '(no log)';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n').slice(-6000);
}

/** Status code of a GET, or an error; `tls` makes it HTTPS with those credentials. */
function getStatus(url: string, tls?: { ca: string; cert?: string; key?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(url, { method: 'GET', timeout: 2_000, ...tls }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200; fails fast, with the log tail, if the process exits. */
async function waitHealthy(proc: Proc, url: string, timeoutMs: number, tls?: { ca: string; cert?: string; key?: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (proc.ended !== undefined) {
      throw new ControlPlaneError(`${proc.name} ended (${proc.ended}) before ${url} was healthy; last log lines:\n${logTail(proc)}`);
    }
    try {
      const status = await getStatus(url, tls);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `${proc.name} was not healthy at ${url} within ${timeoutMs} ms (last: ${last}); last log lines:\n${logTail(proc)}`,
      );
    }
    await sleep(POLL_MS);
  }
}

async function stopProc(proc: Proc): Promise<void> {
  if (proc.ended !== undefined) return;
  proc.child.kill('SIGTERM');
  const grace = new AbortController();
  const exitedInTime = await Promise.race([
    proc.exited.then(() => true),
    sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
  ]);
  grace.abort();
  if (!exitedInTime) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

/**
 * Starts etcd, kube-apiserver, and kube-scheduler / kube-controller-manager when asked, and resolves
 * once each is healthy (etcd /health, apiserver /readyz, the others /healthz). Builds the binaries first if
 * they are missing. Throws ControlPlaneError naming the failed step, with the tail of that
 * process's log; everything already started is stopped and the temporary directory removed.
 * The processes are also killed if this Node process exits without calling stop().
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  const bins = await ensureBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'nodewright-cp-'));
  const procs: Proc[] = [];
  const killOnExit = (): void => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const p of [...procs].reverse()) await stopProc(p);
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const [etcdPort, peerPort, apiPort, schedulerPort, managerPort] = (await freePorts(5)) as [number, number, number, number, number];
    await makePki(dir);
    const f = (name: string): string => join(dir, name);
    const [caCert, clientCert, clientKey] = await Promise.all(['ca.crt', 'admin.crt', 'admin.key'].map((n) => readFile(f(n), 'utf8'))) as [string, string, string];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = launch('etcd', bins.etcd, [
      '--name=nodewright-test', `--data-dir=${f('etcd-data')}`, '--log-level=warn', '--unsafe-no-fsync=true',
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=nodewright-test=${peerUrl}`,
    ], dir);
    procs.push(etcd);
    await waitHealthy(etcd, `${etcdUrl}/health`, timeoutMs);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`, `--cert-dir=${f('apiserver-certs')}`,
      `--secure-port=${apiPort}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
      `--tls-cert-file=${f('serving.crt')}`, `--tls-private-key-file=${f('serving.key')}`, `--client-ca-file=${f('ca.crt')}`,
      `--service-account-issuer=${server}`, `--service-account-key-file=${f('sa.pub')}`,
      `--service-account-signing-key-file=${f('sa.key')}`, '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true', '--disable-admission-plugins=ServiceAccount', '--authorization-mode=RBAC',
      ...(opts.apiserverArgs ?? []),
    ];
    const admin = { ca: caCert, cert: clientCert, key: clientKey };
    const startApiServer = async (): Promise<void> => {
      const apiserver = launch('kube-apiserver', bins.apiserver, apiserverArgs, dir);
      procs.splice(1, 0, apiserver); // after etcd, before the components that talk to it
      await waitHealthy(apiserver, `${server}/readyz`, timeoutMs, admin);
    };
    await startApiServer();
    const restartApiServer = async (): Promise<void> => {
      const old = procs.find((p) => p.name === 'kube-apiserver');
      if (old) {
        await stopProc(old);
        procs.splice(procs.indexOf(old), 1);
      }
      await startApiServer();
    };

    const kubeconfigPath = f('admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(server, caCert, clientCert, clientKey, 'nodewright-admin'));
    if (opts.scheduler === true) {
      const [schedCert, schedKey] = await Promise.all([readFile(f('scheduler.crt'), 'utf8'), readFile(f('scheduler.key'), 'utf8')]);
      await writeFile(f('scheduler.kubeconfig'), kubeconfig(server, caCert, schedCert, schedKey, 'system:kube-scheduler'));
      const scheduler = launch('kube-scheduler', bins.scheduler, [
        `--kubeconfig=${f('scheduler.kubeconfig')}`, '--leader-elect=false',
        '--bind-address=127.0.0.1', `--secure-port=${schedulerPort}`,
        `--tls-cert-file=${f('serving.crt')}`, `--tls-private-key-file=${f('serving.key')}`,
        ...(opts.schedulerArgs ?? []),
      ], dir);
      procs.push(scheduler);
      await waitHealthy(scheduler, `https://127.0.0.1:${schedulerPort}/healthz`, timeoutMs, { ca: caCert });
    }
    if (opts.controllerManager === true) {
      const [cmCert, cmKey] = await Promise.all([readFile(f('controller-manager.crt'), 'utf8'), readFile(f('controller-manager.key'), 'utf8')]);
      await writeFile(f('controller-manager.kubeconfig'), kubeconfig(server, caCert, cmCert, cmKey, 'system:kube-controller-manager'));
      const manager = launch('kube-controller-manager', bins.controllerManager, [
        `--kubeconfig=${f('controller-manager.kubeconfig')}`, '--leader-elect=false', '--controllers=disruption',
        // No service-account key or root CA: they serve the token controllers, which are not run.
        '--use-service-account-credentials=false', '--bind-address=127.0.0.1', `--secure-port=${managerPort}`,
        `--tls-cert-file=${f('serving.crt')}`, `--tls-private-key-file=${f('serving.key')}`,
      ], dir);
      procs.push(manager);
      await waitHealthy(manager, `https://127.0.0.1:${managerPort}/healthz`, timeoutMs, { ca: caCert });
    }
    return { kubeconfigPath, server, caCert, clientCert, clientKey, stop, restartApiServer };
  } catch (err) {
    await stop();
    throw err;
  }
}
