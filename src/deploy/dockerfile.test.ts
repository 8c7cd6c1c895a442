/**
 * The container image definition (Dockerfile and .dockerignore at the repository root), checked
 * without docker: the runtime stage runs unprivileged on Node 20 and starts the file that the
 * build stage's `tsc -p tsconfig.build.json` writes, and the build context keeps what it copies.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (name: string): string => readFileSync(join(root, name), 'utf8');

interface Instruction { readonly op: string; readonly args: string }
interface Stage { readonly from: string; readonly name: string | undefined; readonly steps: Instruction[] }

/** Dockerfile instructions by stage (comments and line continuations handled; enough for ours). */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    assert.ok(m, `unparsable Dockerfile line: ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `unparsable FROM: ${args}`);
      out.push({ from: f[1]!, name: f[2], steps: [] });
    } else {
      const stage = out.at(-1);
      assert.ok(stage, `${op} before any FROM`);
      stage.steps.push({ op, args });
    }
  }
  return out;
}

const dockerfile = stages(read('Dockerfile'));
const runtime = dockerfile.at(-1)!;
const last = (stage: Stage, op: string): string | undefined => stage.steps.filter((s) => s.op === op).at(-1)?.args;

describe('Dockerfile', () => {
  it('builds in one stage and runs on node:20-slim in another, as the engines field allows', () => {
    assert.ok(dockerfile.length >= 2, 'multi-stage');
    assert.equal(runtime.from, 'node:20-slim');
    const engines = (JSON.parse(read('package.json')) as { engines?: { node?: string } }).engines?.node;
    assert.equal(engines, '>=20');
  });

  it('runs as a numeric non-root user (runAsNonRoot can only verify a numeric one)', () => {
    const user = last(runtime, 'USER');
    assert.ok(user, 'the runtime stage sets USER');
    const [uid, gid] = user.split(':');
    assert.match(uid!, /^\d+$/);
    assert.notEqual(Number(uid), 0, 'not root');
    if (gid !== undefined) assert.notEqual(Number(gid), 0, 'not the root group');
    const chart = readFileSync(join(root, 'deploy/helm/nodewright/values.yaml'), 'utf8');
    assert.match(chart, new RegExp(`runAsUser: ${uid}\\b`), 'the chart runs as the image user');
  });

  it('starts `controller` from the file the build writes: tsconfig.build.json outDir + the CLI entry', () => {
    const entry = JSON.parse(last(runtime, 'ENTRYPOINT') ?? 'null') as unknown;
    assert.ok(Array.isArray(entry), 'exec-form ENTRYPOINT');
    const [node, script, command] = entry as string[];
    assert.equal(node, 'node');
    assert.equal(command, 'controller');
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    const { outDir, rootDir } = build.compilerOptions;
    assert.equal(script, `${outDir}/cli/main.js`);
    assert.ok(existsSync(join(root, rootDir, 'cli/main.ts')), `${rootDir}/cli/main.ts compiles to ${script}`);
    const buildStage = dockerfile.find((s) => s.steps.some((x) => x.op === 'RUN' && x.args.includes('tsc -p tsconfig.build.json')));
    assert.ok(buildStage?.name, 'a named stage compiles with tsconfig.build.json');
    const copied = runtime.steps.filter((s) => s.op === 'COPY').map((s) => s.args);
    assert.ok(copied.includes(`--from=${buildStage.name} /src/${outDir} ./${outDir}`), `the runtime copies ${outDir}/ from the build stage`);
  });

  it('installs dependencies with npm ci, and only the production ones into the runtime image', () => {
    const runs = dockerfile.flatMap((s) => s.steps.filter((x) => x.op === 'RUN').map((x) => x.args));
    assert.ok(runs.some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev')), 'the build installs dev dependencies (tsc)');
    const modules = runtime.steps.find((s) => s.op === 'COPY' && s.args.endsWith('./node_modules'));
    const from = /--from=(\S+)/.exec(modules?.args ?? '')?.[1];
    const depsStage = dockerfile.find((s) => s.name === from);
    assert.ok(depsStage, 'node_modules come from a named stage');
    assert.ok(depsStage.steps.some((x) => x.op === 'RUN' && /npm ci\b.*--omit=dev/.test(x.args)), 'that stage omits dev dependencies');
    assert.ok(runtime.steps.some((s) => s.op === 'COPY' && s.args === 'package.json ./'), 'package.json (type: module) is in the image');
    assert.ok(runtime.steps.some((s) => s.op === 'COPY' && s.args === 'data ./data'), 'the data the catalogue reads is in the image');
  });
});

describe('.dockerignore', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps local state and secrets-prone folders out of the build context', () => {
    for (const p of ['.git', 'node_modules', 'dist', '.cache']) assert.ok(ignored.includes(p), `${p} is ignored`);
  });

  it('keeps every path a COPY from the context needs', () => {
    const sources = dockerfile.flatMap((s) => s.steps)
      .filter((s) => s.op === 'COPY' && !s.args.startsWith('--from='))
      .flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    assert.ok(sources.length > 0);
    for (const src of sources) {
      assert.ok(existsSync(join(root, src)), `${src} exists`);
      assert.ok(!ignored.some((p) => p === src || src.startsWith(`${p}/`)), `${src} is not ignored`);
    }
  });
});
