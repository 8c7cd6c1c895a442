/**
 * Reads the single YAML document of a scenario file into plain values, keeping the syntax tree so
 * that any field path can be turned back into a line number afterwards. No I/O.
 */
import { LineCounter, isNode, isScalar, parseAllDocuments, visit } from 'yaml';
import type { Document } from 'yaml';
import { offsetOfPath, splitPath } from '../../apis/manifests.js';

/** A YAML syntax problem: the line and a one-line message. */
export interface YamlProblem {
  readonly line: number;
  readonly message: string;
}

export interface YamlSource {
  /** The document as plain JSON-like values (mappings are plain objects with string keys). */
  readonly value: unknown;
  /** The 1-based line of a field path, or of its nearest ancestor present in the file. */
  readonly lineOf: (path: string) => number;
}

// An alias may expand to a large tree; well-formed scenarios use a handful.
const MAX_ALIAS_COUNT = 1000;

/**
 * Parses `text`. Returns the source, or the syntax problems that make it unreadable: invalid YAML,
 * more than one document, keys that are not plain scalars, unresolvable aliases. Never throws.
 */
export function readYaml(text: string): { source?: YamlSource; problems: YamlProblem[] } {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const docs = (Array.isArray(documents) ? documents : [])
    .filter((d) => d.errors.length > 0 || d.contents !== null);
  const lineAt = (offset: number): number => lines.linePos(offset).line;
  const problems: YamlProblem[] = [];
  for (const doc of docs) {
    for (const err of doc.errors) {
      problems.push({ line: err.linePos?.[0].line ?? lineAt(err.pos[0]), message: `invalid YAML: ${firstLine(err.message)}` });
    }
  }
  if (problems.length > 0) return { problems };
  const [doc, second] = docs;
  if (second !== undefined) {
    return { problems: [{ line: lineAt(second.range[0]), message: 'a scenario is a single YAML document; remove the second one (after "---")' }] };
  }
  if (doc === undefined) return { problems: [{ line: 1, message: 'the file is empty: a scenario needs at least name, horizon, cluster and workload' }] };

  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        problems.push({ line: lineAt(isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0), message: 'a mapping key must be a plain string, not a list or mapping' });
      }
    },
  });
  if (problems.length > 0) return { problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package throws for unresolved or excessively repeated aliases.
    return { problems: [{ line: lineAt(doc.range[0]), message: `invalid YAML: ${firstLine(err instanceof Error ? err.message : String(err))}` }] };
  }
  return { source: { value, lineOf: (path) => lineOfPath(doc, lines, path) }, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The line a field path points at (see offsetOfPath). */
function lineOfPath(doc: Document, lines: LineCounter, path: string): number {
  return lines.linePos(offsetOfPath(doc, splitPath(path) ?? []) ?? 0).line;
}
