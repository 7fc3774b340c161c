import { runCli } from './cli.ts';
import { processOutput } from './output.ts';

// Entry point of `pressluft` (bin/pressluft.js and `pnpm pressluft`).
const code = await runCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), out: processOutput() });
process.exitCode = code;
// Idle keep-alive sockets or a log destination must not hold the process open once the work is
// done; unref'd, this only fires when something else still keeps the loop alive.
setTimeout(() => process.exit(code), 2000).unref();
