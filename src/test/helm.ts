/**
 * helm for the chart tests: built once from the Go module proxy by scripts/helm.sh (cached under
 * .cache/helm), then run on deploy/helm/nodewright. Renders are parsed into plain objects.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** Building or running helm failed; the message says which command and shows its output. */
export class HelmError extends Error {
  override readonly name = 'HelmError';
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const helmScript = join(repoRoot, 'scripts', 'helm.sh');

/** The chart's folder. */
export const CHART_DIR = join(repoRoot, 'deploy', 'helm', 'nodewright');

export interface HelmRun { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function run(command: string, args: readonly string[], echoStderr = false): Promise<HelmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      if (echoStderr) process.stderr.write(chunk);
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let helmPath: Promise<string> | undefined;

/**
 * The helm binary's path, building it first when it is not cached (once per process; the build
 * output goes to stderr). @throws HelmError with the tail of the build output when that fails.
 */
export function ensureHelm(): Promise<string> {
  helmPath ??= (async () => {
    const res = await run('bash', [helmScript], true).catch((err: unknown) => {
      throw new HelmError(`running ${helmScript}: ${String(err)}`, { cause: err });
    });
    const path = res.stdout.trim().split('\n').at(-1) ?? '';
    if (res.code !== 0 || path === '') {
      throw new HelmError(
        `building helm with ${helmScript} failed (exit ${res.code}); it needs Go on PATH and the Go module proxy. ` +
          `Last output:\n${res.stderr.slice(-4000)}`,
      );
    }
    return path;
  })().catch((err: unknown) => {
    helmPath = undefined;
    throw err;
  });
  return helmPath;
}

/** Runs helm with these arguments (never throws for a non-zero exit: the caller reads `code`). */
export async function helm(args: readonly string[]): Promise<HelmRun> {
  return run(await ensureHelm(), args);
}

export interface TemplateOptions {
  /** Values files (paths), in order. */
  readonly valuesFiles?: readonly string[];
  /** `--set` assignments ("a.b=c"), after the files. */
  readonly set?: readonly string[];
  readonly releaseName?: string;
  readonly namespace?: string;
  /** Also render crds/ (default false, as `helm template` does). */
  readonly includeCrds?: boolean;
}

/** One rendered object: kind, metadata and the rest, as plain data. */
export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

function valueArgs(o: TemplateOptions): string[] {
  return [...(o.valuesFiles ?? []).flatMap((f) => ['--values', f]), ...(o.set ?? []).flatMap((s) => ['--set', s])];
}

/**
 * `helm template` of the chart, parsed.
 * @throws HelmError when helm fails (the message has its stderr, e.g. a `fail` in a template) or
 *   a document is not YAML.
 */
export async function helmTemplate(o: TemplateOptions = {}): Promise<Rendered[]> {
  const args = [
    'template', o.releaseName ?? 'nodewright', CHART_DIR, '--namespace', o.namespace ?? 'nodewright',
    ...(o.includeCrds === true ? ['--include-crds'] : []), ...valueArgs(o),
  ];
  const res = await helm(args);
  if (res.code !== 0) throw new HelmError(`helm ${args.join(' ')} failed (exit ${res.code}):\n${res.stderr}`);
  const docs = parseAllDocuments(res.stdout);
  const out: Rendered[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new HelmError(`helm template printed invalid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Rendered | null;
    if (value !== null) out.push(value);
  }
  return out;
}

/** `helm lint --strict` of the chart with these values; resolves to its result. */
export function helmLint(o: TemplateOptions = {}): Promise<HelmRun> {
  return helm(['lint', CHART_DIR, '--strict', '--namespace', o.namespace ?? 'nodewright', ...valueArgs(o)]);
}
