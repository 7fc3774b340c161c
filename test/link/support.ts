import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '@pressluft/control-plane';
import { REPO_ROOT } from '../support/paths.ts';
import { TestApi } from '../support/api.ts';

export const FIXTURE_ANSIBLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/ansible');
const AGENT_BIN = path.join(REPO_ROOT, 'node-agent/bin/pressluft-agent.js');
export const ADMIN = { email: 'link@pressluft.test', password: 'link-test-password-123' };

/** Short heartbeats, leases and backoffs so faults resolve in seconds. */
export const FAST_LINK_ENV = {
  PRESSLUFT_HEARTBEAT_MS: '500',
  PRESSLUFT_LEASE_MS: '4000',
  PRESSLUFT_JOB_BACKOFF: '1',
  PRESSLUFT_JOB_MAX_ATTEMPTS: '3',
  PRESSLUFT_AGENT_BACKOFF_MAX_MS: '500',
  PRESSLUFT_LOG_LEVEL: 'error',
};

export async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

export async function startTestControlPlane(stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-link-')), port = 0): Promise<{ cp: ControlPlane; api: TestApi; stateDir: string }> {
  const cp = await withEnv(FAST_LINK_ENV, () => startControlPlane({ stateDir, port, adminEmail: ADMIN.email, adminPassword: ADMIN.password, dashboardDir: null }));
  const api = new TestApi(cp.url);
  await api.login(ADMIN.email, ADMIN.password);
  return { cp, api, stateDir };
}

export interface AgentProcess { child: ChildProcess; output(): string; exited: Promise<number | null> }

/** Runs the real agent as its own process (so it can be SIGKILLed) against the fixture playbooks. */
export function spawnAgent(url: string, stateDir: string, token?: string): AgentProcess {
  const args = [AGENT_BIN, '--url', url, '--state-dir', stateDir, '--ansible-dir', FIXTURE_ANSIBLE_DIR];
  // The token goes through the environment: process arguments are visible to every user.
  const env = { ...process.env, ...FAST_LINK_ENV, PRESSLUFT_LOG_LEVEL: 'debug', ...(token ? { PRESSLUFT_AGENT_TOKEN: token } : {}) };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** A TCP proxy in front of the control plane whose connections a test can cut at will. */
export async function startCuttableProxy(targetPort: number): Promise<{ url: string; cut(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      sockets.clear();
      return n;
    },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
