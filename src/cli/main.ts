/** Entry point of the `nodewright` command: runs the command line and sets the exit code. */
import { processIo } from './io.js';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
