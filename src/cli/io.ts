/** What a command may touch of the outside world, passed in so commands can be run in tests. */
import { readFile } from 'node:fs/promises';

export interface CliIo {
  /** Writes text as is (callers add the newline). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Reads a UTF-8 file ("-" is standard input).
   * @throws the file system's error (ENOENT, EISDIR, …).
   */
  readonly readFile: (path: string) => Promise<string>;
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The process's own streams and file system. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => (path === '-' ? readStdin() : readFile(path, 'utf8')),
  };
}
