/**
 * The figures of the chaos tier. Each chaos test file records what it did (restarts survived, faults
 * injected by kind, inputs fuzzed, and the violation count of every invariant it checked) under its
 * own suite name; `npm run test:chaos` merges them after the run and prints the table or JSON.
 *
 * Files go to `$NODEWRIGHT_CHAOS_FIGURES` (a directory) or, when unset, `.cache/chaos-figures` under
 * the working directory. One JSON file per suite; recording the same suite again adds to it, so a
 * file with several tests can record per test.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What one suite did. Invariants checked and never violated are recorded with 0. */
export interface ChaosFigures {
  restarts: number;
  faults: Record<string, number>;
  fuzzed: number;
  violations: Record<string, number>;
}

/** The directory figures are written to and read from. */
export function chaosFiguresDir(): string {
  return resolve(process.env['NODEWRIGHT_CHAOS_FIGURES'] ?? join('.cache', 'chaos-figures'));
}

function empty(): ChaosFigures {
  return { restarts: 0, faults: {}, fuzzed: 0, violations: {} };
}

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}

/** Adds `figures` to two figure sets' sum (pure). */
export function mergeChaosFigures(a: ChaosFigures, b: Partial<ChaosFigures>): ChaosFigures {
  const out: ChaosFigures = {
    restarts: a.restarts + (b.restarts ?? 0),
    faults: { ...a.faults },
    fuzzed: a.fuzzed + (b.fuzzed ?? 0),
    violations: { ...a.violations },
  };
  addCounts(out.faults, b.faults);
  addCounts(out.violations, b.violations);
  return out;
}

/**
 * Adds `figures` to the recorded figures of `suite` (a short name such as "restarts-embedded").
 * Throws if `suite` is not a plain file-name-safe word.
 */
export function recordChaosFigures(suite: string, figures: Partial<ChaosFigures>): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(suite)) throw new Error(`chaos suite name ${JSON.stringify(suite)} must be lower-case words joined by "-"`);
  const dir = chaosFiguresDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ChaosFigures) : empty();
  writeFileSync(file, `${JSON.stringify(mergeChaosFigures(before, figures))}\n`);
}

/** Every recorded suite's figures, by suite name (empty when nothing was recorded). */
export function readChaosFigures(dir = chaosFiguresDir()): Map<string, ChaosFigures> {
  const out = new Map<string, ChaosFigures>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    out.set(name.slice(0, -'.json'.length), mergeChaosFigures(empty(), JSON.parse(readFileSync(join(dir, name), 'utf8')) as ChaosFigures));
  }
  return out;
}

/** The sum over all suites. */
export function totalChaosFigures(bySuite: Map<string, ChaosFigures>): ChaosFigures {
  let total = empty();
  for (const f of bySuite.values()) total = mergeChaosFigures(total, f);
  return total;
}
