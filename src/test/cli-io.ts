/** A CliIo over memory: files in, output and written files captured, for CLI tests. */
import type { CliIo } from '../cli/io.js';

export interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  /** Files written, by path. */
  readonly written: Map<string, string>;
}

export function fakeIo(files: Record<string, string> = {}, options: { stderrIsTTY?: boolean } = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  return {
    out,
    err,
    written,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (path) => {
      const text = files[path];
      return text === undefined ? Promise.reject(new Error(`ENOENT: no such file, open '${path}'`)) : Promise.resolve(text);
    },
    writeFile: (path, text) => {
      written.set(path, text);
      return Promise.resolve();
    },
    stderrIsTTY: options.stderrIsTTY ?? false,
  };
}
