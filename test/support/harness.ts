import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI_BIN, REPO_ROOT, TEST_HTTP_PORT } from './paths.ts';
import { TestApi } from './api.ts';
import { waitFor } from './wait.ts';

export interface DevHandle {
  url: string;
  email: string;
  password: string;
  stateDir: string;
  api: TestApi;
  /** Everything the dev process printed so far (stdout and stderr). */
  output(): string;
  /** Runs the CLI against this dev instance. */
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<number | null>;
}

export const TEST_ADMIN = { email: 'admin@pressluft.test', password: 'correct-horse-battery-staple' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

/**
 * Starts the real `pressluft dev` (control plane + self-node agent) on a fresh state directory
 * with the self-node on TEST_HTTP_PORT, and waits for its "Ready." line. The first start on a
 * fresh machine provisions the node (installs the web stack), so the deadline is generous.
 */
export async function startDev(opts: { stateDir?: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {}): Promise<DevHandle> {
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'pressluft-dev-'));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_BIN, 'dev', '--state-dir', stateDir, '--port', String(port), '--http-port', String(TEST_HTTP_PORT)], {
    cwd: REPO_ROOT,
    env: { ...process.env, PRESSLUFT_ADMIN_EMAIL: TEST_ADMIN.email, PRESSLUFT_ADMIN_PASSWORD: TEST_ADMIN.password, PRESSLUFT_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { exitCode = code; running.delete(child); resolve(code); }));

  try {
    // waitFor retries a failing check, so an early exit must end the wait from outside it.
    await Promise.race([
      waitFor(() => /^Ready\./m.test(output), { timeoutMs: opts.readyTimeoutMs ?? 900_000, intervalMs: 200, what: 'pressluft dev to print "Ready."' }),
      new Promise<never>((_, reject) => { void exited.then((code) => reject(new Error(`pressluft dev exited with ${code}`))); }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- pressluft dev output ---\n${output.slice(-6000)}`);
  }

  const url = `http://127.0.0.1:${port}`;
  const api = new TestApi(url);
  await api.login(TEST_ADMIN.email, TEST_ADMIN.password);

  return {
    url,
    ...TEST_ADMIN,
    stateDir,
    api,
    output: () => output,
    cli: (args, cliOpts = {}) => runCli(args, { PRESSLUFT_URL: url, PRESSLUFT_ADMIN_EMAIL: TEST_ADMIN.email, PRESSLUFT_ADMIN_PASSWORD: TEST_ADMIN.password, ...cliOpts.env }),
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
