/**
 * Mutations for the bad-input fuzz suites: near misses of valid documents, at the value level (a
 * parsed object with one field replaced, deleted, renamed or garbled) and at the text level (a YAML
 * file with a line duplicated, cut, re-indented or spliced with junk). Pure and deterministic: the
 * caller (fast-check) chooses every index and value, so a failing case replays from its seed.
 */

/** A field path as keys: ["spec", "template", "spec", "requirements", 0, "key"]. */
export type KeyPath = readonly (string | number)[];

/** Values that parsers and validators tend to mishandle: wrong types, extremes, empties, odd strings. */
export const NASTY_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, -0, 1.5, 2 ** 53 + 2, 1e308, -1e308, Infinity, -Infinity, NaN,
  '', ' ', '-1', '0', '1e400', '1E18', '9'.repeat(400), 'NaN', 'Infinity', '∞', '\u0000', 'a\nb', '${x}', '%s',
  'x'.repeat(10_000), '__proto__', 'constructor', [], [null], [[]], {}, { '': 1 }, { __proto__: null, constructor: 'x' },
];

/** Keys that collide with what every plain object inherits, or that are empty or oversized. */
export const NASTY_KEYS: readonly string[] = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'k'.repeat(400), 'a/b/c', '.'];

export type Mutation =
  | { readonly kind: 'replace'; readonly value: unknown }
  | { readonly kind: 'delete' }
  | { readonly kind: 'rename'; readonly to: string }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'wrap' }
  | { readonly kind: 'garble'; readonly junk: string; readonly at: number }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown };

/** Every path to a value inside `value`, the root (the empty path) included, in document order. */
export function pathsOf(value: unknown, at: KeyPath = [], out: KeyPath[] = []): KeyPath[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, even one named "__proto__" (plain assignment would change the prototype). */
function setOwn(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A deep copy of `root` with `mutation` applied at `path`. Mutations that need a parent (delete,
 * rename, duplicate) replace the root with null when `path` is empty. `root` is not modified.
 */
export function mutateValue(root: unknown, path: KeyPath, mutation: Mutation): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return applyAtRoot(copy, mutation);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const current = parent[key];
  switch (mutation.kind) {
    case 'replace':
      setOwn(parent, key, structuredClone(mutation.value));
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'rename':
      if (Array.isArray(parent)) setOwn(parent, key, { [mutation.to]: current });
      else {
        delete parent[key];
        setOwn(parent, mutation.to, current);
      }
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(current));
      else setOwn(parent, key, [current, structuredClone(current)]);
      break;
    case 'wrap':
      setOwn(parent, key, [current]);
      break;
    case 'garble':
      setOwn(parent, key, garble(current, mutation.junk, mutation.at));
      break;
    case 'add':
      if (isObject(current)) setOwn(current, mutation.key, structuredClone(mutation.value));
      else if (Array.isArray(current)) current.push(structuredClone(mutation.value));
      else setOwn(parent, key, structuredClone(mutation.value));
      break;
  }
  return copy;
}

function applyAtRoot(root: unknown, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case 'replace':
      return structuredClone(mutation.value);
    case 'wrap':
      return [root];
    case 'garble':
      return garble(root, mutation.junk, mutation.at);
    case 'add':
      if (isObject(root)) setOwn(root, mutation.key, structuredClone(mutation.value));
      return root;
    case 'delete':
    case 'rename':
    case 'duplicate':
      return null;
  }
}

/**
 * A near miss of a leaf: a string with `junk` spliced in at `at` (modulo its length), a number
 * negated, made fractional or pushed past the safe range; other values become `junk`.
 */
export function garble(leaf: unknown, junk: string, at: number): unknown {
  if (typeof leaf === 'string') {
    const i = leaf.length === 0 ? 0 : Math.abs(at) % (leaf.length + 1);
    return leaf.slice(0, i) + junk + leaf.slice(i);
  }
  if (typeof leaf === 'number') return [-leaf, leaf + 0.5, leaf * 1e300, leaf + 2 ** 53][Math.abs(at) % 4];
  return junk;
}

export type TextMutation =
  | { readonly kind: 'duplicate-line'; readonly line: number }
  | { readonly kind: 'delete-line'; readonly line: number }
  | { readonly kind: 'indent'; readonly line: number; readonly by: number }
  | { readonly kind: 'splice'; readonly at: number; readonly junk: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'scalar'; readonly line: number; readonly value: string };

/** YAML fragments that are legal-looking but awkward: huge and odd numbers, tags, anchors, flow junk. */
export const YAML_JUNK: readonly string[] = [
  '1e400', '-1e400', '99999999999999999999999999', '0x7fffffffffffffff', '.nan', '.inf', '-.inf', '~', 'null', '!!binary AAAA',
  '&a [1, 2]', '*missing', '{', '}', '[', ']', ': :', '- -', '"unterminated', "'", '|', '>', '\t', '? complex', '!!str', '@', '`', '%YAML 1.2',
  '<<: *missing', '--- ', '...', '#', '{a: 1, a: 2}', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]',
];

/** `text` with one mutation applied; line and offset indices are taken modulo the text's size. */
export function mutateText(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  const n = lines.length;
  switch (m.kind) {
    case 'duplicate-line': {
      const i = Math.abs(m.line) % n;
      return [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)].join('\n');
    }
    case 'delete-line': {
      const i = Math.abs(m.line) % n;
      return [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
    }
    case 'indent': {
      const i = Math.abs(m.line) % n;
      const line = lines[i]!;
      const changed = m.by >= 0 ? ' '.repeat(m.by) + line : line.slice(Math.min(-m.by, line.length - line.trimStart().length));
      return [...lines.slice(0, i), changed, ...lines.slice(i + 1)].join('\n');
    }
    case 'splice': {
      const i = Math.abs(m.at) % (text.length + 1);
      return text.slice(0, i) + m.junk + text.slice(i);
    }
    case 'truncate':
      return text.slice(0, Math.abs(m.at) % (text.length + 1));
    case 'scalar': {
      // Replaces the value after the first ": " (or "- ") on the line, keeping the key: a wrong type or a huge number.
      const i = Math.abs(m.line) % n;
      const line = lines[i]!;
      const match = /^(\s*(?:-\s+)?[^:#]*:\s|\s*-\s)/.exec(line);
      const changed = match ? match[0] + m.value : line;
      return [...lines.slice(0, i), changed, ...lines.slice(i + 1)].join('\n');
    }
  }
}
