#!/usr/bin/env node
// Runs the test files of the chosen tiers with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [--tier unit|integration|aws|chaos|browser]... [path-filter]...
// Node 20's --test does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const tiers = [];
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tiers.push(args[++i]);
  else filters.push(args[i]);
}

/** Tier of a test file, from its name: x.integration.test.ts, x.aws.test.ts, ...; plain x.test.ts is unit. */
function tierOf(file) {
  const m = /\.(integration|aws|chaos|browser)\.test\.ts$/.exec(file);
  return m ? m[1] : 'unit';
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = ['src', 'bench'].flatMap((d) => walk(join(root, d), []))
  .filter((f) => tiers.length === 0 || tiers.includes(tierOf(f)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match tiers [${tiers.join(', ')}] and filters [${filters.join(', ')}]`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', join(root, 'scripts/test-setup.mjs'), '--test', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(res.status ?? 1);
