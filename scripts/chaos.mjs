#!/usr/bin/env node
// npm run test:chaos: runs the chaos tier and prints its figures.
// Usage: node scripts/chaos.mjs [--json] [run-tests.mjs arguments, e.g. a path filter]...
// Clears the figures directory, runs `node scripts/run-tests.mjs --tier chaos ...`, then reads the
// figures every suite recorded (src/test/chaos-figures.ts: one JSON file per suite) and prints a
// table per suite with totals, or with --json one line:
//   {"restarts":N,"faults":{kind:N},"fuzzed":N,"violations":{invariant:N}}
// (the test output then goes to stderr). Exits non-zero when the tests failed, when no figures
// were recorded, or when any invariant was violated.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: npm run test:chaos [-- [--json] [path-filter]...]\n' +
    '  runs the chaos tier (*.chaos.test.ts), then prints its figures: restarts survived, faults injected\n' +
    '  by kind, inputs fuzzed and violations per invariant (a table, or one JSON line with --json).\n' +
    '  NODEWRIGHT_CHAOS_SEED=N replays a run; exits 1 on a failed test or any violation.');
  process.exit(0);
}
const json = args.includes('--json');
const passThrough = args.filter((a) => a !== '--json');

// Where chaos-figures.ts writes: $NODEWRIGHT_CHAOS_FIGURES, or .cache/chaos-figures under the
// working directory of the tests (the repository root, where run-tests.mjs runs them).
const envDir = process.env.NODEWRIGHT_CHAOS_FIGURES;
const dir = envDir ? (isAbsolute(envDir) ? envDir : resolve(root, envDir)) : join(root, '.cache', 'chaos-figures');
rmSync(dir, { recursive: true, force: true });

const run = spawnSync(process.execPath, [join(root, 'scripts', 'run-tests.mjs'), '--tier', 'chaos', ...passThrough], {
  cwd: root,
  stdio: json ? ['inherit', 2, 2] : 'inherit',
  env: { ...process.env, NODEWRIGHT_CHAOS_FIGURES: dir },
});
const testsFailed = run.status !== 0;

/** Adds b's counts to a (both { restarts, faults, fuzzed, violations }). */
function merge(a, b) {
  const add = (into, from) => {
    for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + Number(v);
  };
  const out = { restarts: a.restarts + Number(b.restarts ?? 0), faults: { ...a.faults }, fuzzed: a.fuzzed + Number(b.fuzzed ?? 0), violations: { ...a.violations } };
  add(out.faults, b.faults);
  add(out.violations, b.violations);
  return out;
}
const empty = () => ({ restarts: 0, faults: {}, fuzzed: 0, violations: {} });

const suites = new Map();
if (existsSync(dir)) {
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    suites.set(name.slice(0, -5), merge(empty(), JSON.parse(readFileSync(join(dir, name), 'utf8'))));
  }
}
let total = empty();
for (const f of suites.values()) total = merge(total, f);
const violated = Object.values(total.violations).reduce((n, v) => n + v, 0);

if (json) {
  console.log(JSON.stringify({ restarts: total.restarts, faults: total.faults, fuzzed: total.fuzzed, violations: total.violations }));
} else {
  printTable();
}

if (testsFailed) console.error(`chaos: the tests failed (exit ${run.status ?? run.signal})`);
if (suites.size === 0) console.error(`chaos: no figures were recorded in ${dir}`);
if (violated > 0) console.error(`chaos: ${violated} invariant violation(s)`);
process.exit(testsFailed || suites.size === 0 || violated > 0 ? 1 : 0);

function printTable() {
  const kv = (o) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
  const broken = (o) => {
    const bad = Object.entries(o).filter(([, v]) => v > 0);
    const n = Object.keys(o).length;
    return bad.length === 0 ? `0 (${n} invariant${n === 1 ? '' : 's'} checked)` : bad.map(([k, v]) => `${k} ${v}`).join(', ');
  };
  const rows = [['suite', 'restarts', 'fuzzed', 'faults injected', 'violations']];
  for (const [name, f] of suites) rows.push([name, String(f.restarts), String(f.fuzzed), kv(f.faults), broken(f.violations)]);
  rows.push(['total', String(total.restarts), String(total.fuzzed), String(Object.values(total.faults).reduce((n, v) => n + v, 0)), broken(total.violations)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log('\nchaos figures');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1, -1)) console.log(line(r));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  console.log(line(rows[rows.length - 1]));

  const pairs = (title, o) => {
    const entries = Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return;
    const w = Math.max(...entries.map(([k]) => k.length));
    console.log(`\n${title}`);
    for (const [k, v] of entries) console.log(`  ${k.padEnd(w)}  ${String(v).padStart(8)}`);
  };
  console.log(`\nrestarts survived: ${total.restarts}    inputs fuzzed: ${total.fuzzed}`);
  pairs('faults injected, by kind', total.faults);
  pairs('violations, by invariant (must all be 0)', total.violations);
}
