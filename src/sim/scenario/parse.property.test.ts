import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseScenario } from './index.js';
import type { ParseResult } from './index.js';
import { mutateValue, pathsOf } from '../../test/fuzz-mutate.js';
import type { KeyPath, Mutation } from '../../test/fuzz-mutate.js';

const BASE = readFileSync(fileURLToPath(new URL('./testdata/base.yaml', import.meta.url)), 'utf8');
const BASE_VALUE: unknown = parse(BASE);

type Edit = 'replace' | 'garble' | 'delete' | 'rename' | 'duplicate';

/** One of this test's edits as a mutation (the root itself is only ever replaced). */
function mutationOf(edit: Edit, path: KeyPath, value: unknown): Mutation {
  const junk = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  if (path.length === 0) return { kind: 'replace', value };
  switch (edit) {
    case 'replace': return { kind: 'replace', value };
    case 'garble': return { kind: 'garble', junk, at: junk.length };
    case 'delete': return { kind: 'delete' };
    case 'rename': return { kind: 'rename', to: `${String(path[path.length - 1])}x` };
    case 'duplicate': return { kind: 'duplicate' };
  }
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
        fc.array(fc.record({ pick: fc.nat(), mutation: fc.constantFrom<Edit>('replace', 'garble', 'garble', 'delete', 'rename', 'duplicate'), value: oddValue }), { minLength: 1, maxLength: 3 }),
        (edits) => {
          let value = BASE_VALUE;
          for (const e of edits) {
            const all = pathsOf(value);
            const path = all[e.pick % all.length] ?? [];
            value = mutateValue(value, path, mutationOf(e.mutation, path, e.value));
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
