/** What a command may touch of the outside world, passed in so commands can be run in tests. */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

export interface CliIo {
  /** Writes text as is (callers add the newline). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Reads a UTF-8 file ("-" is standard input).
   * @throws the file system's error (ENOENT, EISDIR, …).
   */
  readonly readFile: (path: string) => Promise<string>;
  /**
   * Writes a UTF-8 file whole or not at all (a temporary file renamed into place).
   * @throws the file system's error.
   */
  readonly writeFile: (path: string, text: string) => Promise<void>;
  /** Standard error is a terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
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
    writeFile: writeWhole,
    stderrIsTTY: process.stderr.isTTY,
  };
}

async function writeWhole(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
