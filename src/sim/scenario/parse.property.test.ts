import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseScenario } from './index.js';
import type { ParseResult } from './index.js';

const BASE = readFileSync(fileURLToPath(new URL('./testdata/base.yaml', import.meta.url)), 'utf8');
const BASE_VALUE: unknown = parse(BASE);

/** Every path to a value inside `value` (the root included), as key lists. */
function pathsOf(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

type Mutation = 'replace' | 'garble' | 'delete' | 'rename' | 'duplicate';

/** A copy of `root` with one mutation applied at `path` (the root itself is only ever replaced). */
function mutate(root: unknown, path: (string | number)[], mutation: Mutation, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  switch (mutation) {
    case 'replace':
      parent[key] = value;
      break;
    case 'garble':
      parent[key] = garble(parent[key], value);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        parent[`${String(key)}x`] = parent[key];
        delete parent[key];
      }
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(parent[key]));
      else parent[key] = [parent[key], parent[key]];
      break;
  }
  return copy;
}

/**
 * A near miss of a leaf: a string with `junk` spliced into it, a number negated, scaled or made
 * fractional; other values are replaced by `junk`.
 */
function garble(leaf: unknown, junk: unknown): unknown {
  const text = typeof junk === 'string' ? junk : JSON.stringify(junk) ?? '';
  if (typeof leaf === 'string') {
    const at = text.length % (leaf.length + 1);
    return leaf.slice(0, at) + text + leaf.slice(at);
  }
  if (typeof leaf === 'number') return [-leaf, leaf * 1e6, leaf + 0.5, leaf - 1][text.length % 4];
  return junk;
}

/** Values a careless or hostile edit might put anywhere. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: fc.constantFrom('?', '*', '-', ':', ' ', '.', '%', '0', '9', 'a', 'm', 's', 'h', 'i', 'G'), maxLength: 4 }),
  fc.constantFrom(-1, -0.5, 0, 1e300, Number.MAX_SAFE_INTEGER + 2, '', 'Never', '-5m', '1e9', '*', '?*?*?*?*?*?*?*?*', '100%', 'spread', '0s', '25h', '1Gi', '500m', null, true, [], {}),
);

/** The invariants of any parse: it returned, every problem is placed in the file, and problems exclude a scenario. */
function checkResult(result: ParseResult, text: string): void {
  const lines = text.split('\n').length;
  for (const p of result.problems) {
    assert.equal(p.file, 'mutated.yaml');
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines, `line ${p.line} outside 1..${lines}: ${p.path}: ${p.message}`);
    assert.equal(typeof p.path, 'string');
    assert.ok(p.message.length > 0);
  }
  assert.equal(result.scenario === undefined, result.problems.length > 0);
}

describe('parseScenario on random mutations of a valid scenario', () => {
  const paths = pathsOf(BASE_VALUE);

  it('the unmutated base parses', () => {
    assert.deepEqual(parseScenario(BASE, 'base.yaml').problems, []);
  });

  it('never throws for structural mutations: only problems, each on a line of the file', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pick: fc.nat(), mutation: fc.constantFrom<Mutation>('replace', 'garble', 'garble', 'delete', 'rename', 'duplicate'), value: oddValue }), { minLength: 1, maxLength: 3 }),
        (edits) => {
          let value = BASE_VALUE;
          for (const e of edits) {
            const all = pathsOf(value);
            value = mutate(value, all[e.pick % all.length] ?? [], e.mutation, e.value);
          }
          const text = stringify(value);
          checkResult(parseScenario(text, 'mutated.yaml'), text);
        },
      ),
      { numRuns: 600 },
    );
    assert.ok(paths.length > 100, 'the base has enough places to mutate');
  });

  it('never throws for textual damage: cut, duplicated or garbled lines', () => {
    const baseLines = BASE.split('\n');
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('cut', 'dup', 'garble'), fc.string({ maxLength: 6 }), (pick, how, junk) => {
        const i = pick % baseLines.length;
        const lines = [...baseLines];
        if (how === 'cut') lines.splice(i, 1);
        else if (how === 'dup') lines.splice(i, 0, lines[i] ?? '');
        else {
          const line = lines[i] ?? '';
          const at = pick % (line.length + 1);
          lines[i] = line.slice(0, at) + junk + line.slice(at);
        }
        const text = lines.join('\n');
        checkResult(parseScenario(text, 'mutated.yaml'), text);
      }),
      { numRuns: 300 },
    );
  });
});
