/**
 * moto (PyPI `moto[server]`) for the aws test tier: an EC2/SQS/IAM/SSM API server on a free
 * loopback port, seeded with EKS-optimised AL2023 images and the SSM public parameters that name
 * them, behind a fault-injecting HTTP proxy. The proxy answers
 * what moto never does: insufficient capacity on chosen instance types for CreateFleet, throttling
 * (RequestLimitExceeded), 5xx (before or after the request reached moto: a lost reply), delays.
 *
 * moto is installed by scripts/moto.sh into .cache/moto on first use; when that fails the start
 * rejects with a MotoError saying what to install, so the tier fails instead of passing silently.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MotoFaults, startProxy } from './moto-proxy.js';

export type { CapacityRule } from './moto-capacity.js';
export { MotoFaults } from './moto-proxy.js';
export type { FaultKind, ProxiedRequest } from './moto-proxy.js';

export class MotoError extends Error {
  override readonly name = 'MotoError';
}

/** An image moto serves (MOTO_AMIS_PATH replaces its default catalogue, so only these exist). */
export interface MotoImage {
  readonly id: string;
  readonly name: string;
  readonly architecture: 'x86_64' | 'arm64';
  /** Default "602401143452" (the EKS AMI account); served with owner alias "amazon". */
  readonly ownerId?: string;
  /** ISO time. */
  readonly creationDate: string;
}

/** The Kubernetes version of the seeded EKS AL2023 images. */
export const MOTO_KUBERNETES_VERSION = '1.31';

/** Two releases of the standard and nvidia AL2023 EKS images per architecture, and one unrelated image. */
export const MOTO_EKS_IMAGES: readonly MotoImage[] = [
  ['ami-0a1023amd6400001', 'x86_64', 'standard', 'v20240901', '2024-09-01'],
  ['ami-0a1023amd6400002', 'x86_64', 'standard', 'v20241001', '2024-10-01'],
  ['ami-0a1023arm6400001', 'arm64', 'standard', 'v20240901', '2024-09-01'],
  ['ami-0a1023arm6400002', 'arm64', 'standard', 'v20241001', '2024-10-01'],
  ['ami-0a1023nvd6400001', 'x86_64', 'nvidia', 'v20241001', '2024-10-01'],
].map(([id, arch, variant, release, date]) => ({
  id: id!,
  name: `amazon-eks-node-al2023-${arch}-${variant}-${MOTO_KUBERNETES_VERSION}-${release}`,
  architecture: arch as 'x86_64' | 'arm64',
  creationDate: `${date}T00:00:00.000Z`,
}));

/**
 * The EKS public parameters for these images, as Amazon publishes them: one per release
 * (`…/<arch>/<variant>/amazon-eks-node-al2023-<arch>-<variant>-<k8s>-<release>/image_id`) and
 * `…/<arch>/<variant>/recommended/image_id` for the newest of each architecture and variant.
 */
export function eksImageParameters(images: readonly MotoImage[]): Record<string, string> {
  const out: Record<string, string> = {};
  const newest = new Map<string, MotoImage>();
  for (const image of images) {
    const m = /^amazon-eks-node-al2023-(x86_64|arm64)-(standard|nvidia|neuron)-(\d+\.\d+)-(v\d+)$/.exec(image.name);
    if (!m) continue;
    const [, arch, variant, k8s] = m;
    const base = `/aws/service/eks/optimized-ami/${k8s}/amazon-linux-2023/${arch}/${variant}`;
    out[`${base}/${image.name}/image_id`] = image.id;
    const best = newest.get(base);
    if (best === undefined || best.creationDate < image.creationDate) newest.set(base, image);
  }
  for (const [base, image] of newest) out[`${base}/recommended/image_id`] = image.id;
  return out;
}

/*
 * moto refuses PutParameter under /aws/ (reserved, as AWS does), so the public parameters are
 * loaded into its SSM backend when the backend is built: moto's own server main, started after
 * wrapping the parameter store's constructor.
 */
const MOTO_MAIN = `
import datetime, json, os, sys
from collections import defaultdict
from moto.ssm import models
seeded = json.load(open(os.environ["NODEWRIGHT_SSM_PARAMETERS"]))
built = models.ParameterDict.__init__
def init(self, account_id, region_name):
    built(self, account_id, region_name)
    for name, value in seeded.items():
        defaultdict.__getitem__(self, name).append(models.Parameter(
            account_id=account_id, name=name, value=value, parameter_type="String", description=None,
            allowed_pattern=None, keyid=None, last_modified_date=datetime.datetime.now(datetime.timezone.utc),
            version=1, data_type="aws:ec2:image"))
models.ParameterDict.__init__ = init
from moto.server import main
main(sys.argv[1:])
`;

export interface Moto {
  /** The fault proxy in front of moto: point the SDK clients here. */
  readonly endpoint: string;
  /** moto itself, for checks the faults must not disturb. */
  readonly directEndpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly images: readonly MotoImage[];
  /** The SSM parameters moto serves beyond its own (name → value). */
  readonly ssmParameters: Readonly<Record<string, string>>;
  readonly faults: MotoFaults;
  /** Stops moto and the proxy. Idempotent; never throws. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL_HINT =
  'the aws test tier needs moto[server] from PyPI: install python3 with its venv module (Debian: apt-get install python3 python3-venv) ' +
  'so that scripts/moto.sh can pip-install it into .cache/moto';

let serverPath: string | undefined;

/** Path of moto_server, installing it on first use. @throws MotoError saying what to install. */
export function motoServerPath(): string {
  if (serverPath !== undefined) return serverPath;
  const res = spawnSync('bash', [join(repoRoot, 'scripts', 'moto.sh')], { encoding: 'utf8', timeout: 600_000 });
  const path = res.stdout?.trim().split('\n').at(-1) ?? '';
  if (res.error !== undefined || res.status !== 0 || path === '') {
    const why = res.error?.message ?? (res.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new MotoError(`installing moto with scripts/moto.sh failed (${why}); ${INSTALL_HINT}`);
  }
  serverPath = path;
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts moto on a free loopback port (images: `options.images`, default {@link MOTO_EKS_IMAGES};
 * SSM parameters: `options.ssmParameters`, default {@link eksImageParameters} of the images) and
 * the fault proxy in front of it, resolving once moto answers.
 * @throws MotoError when moto cannot be installed or does not come up within 60 s (with its log).
 */
export async function startMoto(options: { images?: readonly MotoImage[]; region?: string; ssmParameters?: Readonly<Record<string, string>> } = {}): Promise<Moto> {
  const server = motoServerPath();
  const images = options.images ?? MOTO_EKS_IMAGES;
  const ssmParameters = options.ssmParameters ?? eksImageParameters(images);
  const region = options.region ?? 'us-east-1';
  const dir = mkdtempSync(join(tmpdir(), 'nodewright-moto-'));
  const amisPath = join(dir, 'amis.json');
  writeFileSync(amisPath, JSON.stringify(images.map((i) => ({
    ami_id: i.id, name: i.name, architecture: i.architecture, owner_id: i.ownerId ?? '602401143452',
    creation_date: i.creationDate, state: 'available', public: true, virtualization_type: 'hvm',
    root_device_type: 'ebs', root_device_name: '/dev/xvda', hypervisor: 'xen', image_type: 'machine',
  }))));
  const parametersPath = join(dir, 'ssm-parameters.json');
  writeFileSync(parametersPath, JSON.stringify(ssmParameters));
  const port = await freePort();
  let log = '';
  const child = spawn(join(dirname(server), 'python'), ['-c', MOTO_MAIN, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_AMIS_PATH: amisPath, NODEWRIGHT_SSM_PARAMETERS: parametersPath, AWS_DEFAULT_REGION: region },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });
  const directEndpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while ((await get(`${directEndpoint}/moto-api/`)) !== 200) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new MotoError(`starting moto_server on port ${port}: ${exited ? 'it exited' : 'no answer after 60 s'}; its log:\n${log}`);
    }
    await sleep(100);
  }
  const faults = new MotoFaults();
  const proxy = await startProxy(port, faults);
  const proxyAddress = proxy.address();
  const proxyPort = typeof proxyAddress === 'object' && proxyAddress !== null ? proxyAddress.port : 0;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    directEndpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    images,
    ssmParameters,
    faults,
    stop: () => (stopped ??= (async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (!exited) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(5000)]);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    })()),
  };
}
