import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeDto } from '@pressluft/shared';
import { freePort, TEST_ADMIN } from '../support/harness.ts';
import { CLI_BIN, REPO_ROOT } from '../support/paths.ts';
import { makeTestCa, type TestCa } from '../support/test-cert.ts';
import { waitFor } from '../support/wait.ts';

// The real `pressluft serve` process with TLS from a test CA, and the real agent binary dialing it.

const AGENT_BIN = path.join(REPO_ROOT, 'node-agent/bin/pressluft-agent.js');

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  code(): number | null | undefined;
}

const procs: Proc[] = [];

function start(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const { PRESSLUFT_AGENT_TOKEN: _token, ...base } = process.env;
  const child = spawn(process.execPath, [bin, ...args], { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let code: number | null | undefined;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve((code = c))));
  const proc = { child, output: () => output, exited, code: () => code };
  procs.push(proc);
  return proc;
}

/** `pressluft serve`, resolved once it logged "ready" (JSON on stdout). */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc & { stdout: () => string[] }> {
  const stdoutLines: string[] = [];
  const proc = start(CLI_BIN, ['serve', ...args], { PRESSLUFT_ADMIN_EMAIL: TEST_ADMIN.email, PRESSLUFT_ADMIN_PASSWORD: TEST_ADMIN.password, ...env });
  let buffered = '';
  proc.child.stdout!.on('data', (c: string) => {
    buffered += c;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    stdoutLines.push(...lines);
  });
  await waitFor(() => {
    if (proc.code() !== undefined) throw new Error(`pressluft serve exited with ${proc.code()}:\n${proc.output()}`);
    return stdoutLines.some((l) => l.includes('"msg":"ready"'));
  }, { timeoutMs: 60_000, what: 'pressluft serve to log "ready"' });
  return { ...proc, stdout: () => stdoutLines };
}

function agent(url: string, stateDir: string, extra: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return start(AGENT_BIN, ['--url', url, '--state-dir', stateDir, ...extra], { PRESSLUFT_AGENT_BACKOFF_MAX_MS: '500', ...env });
}

/** One JSON request to the https control plane, trusting the test CA. */
function request(url: string, ca: Buffer, method: string, body?: unknown, cookie?: string): Promise<{ status: number; json: unknown; cookie: string | null }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) };
    const req = https.request(url, { method, headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] ?? null }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** This machine's first non-loopback IPv4 address: where a plain ws:// is refused. */
function lanAddress(): string {
  const address = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address for the plain ws:// tests');
  return address;
}

let ca: TestCa;
let caPem: Buffer;
let stateDir: string;
let port: number;
let url: string;
let cp: Awaited<ReturnType<typeof serve>>;
let cookie: string;

async function createNode(name: string): Promise<{ id: string; token: string }> {
  const res = await request(`${url}/api/nodes`, caPem, 'POST', { name }, cookie);
  expect(res.status).toBe(201);
  const body = res.json as { node: NodeDto; registration_token: string };
  return { id: body.node.id, token: body.registration_token };
}

async function nodeOf(id: string): Promise<NodeDto> {
  return (await request(`${url}/api/nodes/${id}`, caPem, 'GET', undefined, cookie)).json as NodeDto;
}

beforeAll(async () => {
  ca = makeTestCa(['127.0.0.1', 'localhost']);
  caPem = readFileSync(ca.caFile);
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-'));
  port = await freePort();
  url = `https://127.0.0.1:${port}`;
  cp = await serve(['--state-dir', stateDir, '--port', String(port), '--tls-cert', ca.certFile, '--tls-key', ca.keyFile]);
  const login = await request(`${url}/api/login`, caPem, 'POST', TEST_ADMIN);
  expect(login.status).toBe(200);
  cookie = login.cookie!;
});

afterAll(async () => {
  for (const p of procs) if (p.code() === undefined) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
});

describe('pressluft serve', () => {
  it('logs JSON lines on stdout, serves HTTPS with the given certificate and holds the state dir lock', async () => {
    for (const line of cp.stdout()) expect(() => JSON.parse(line), line).not.toThrow();
    expect(cp.stdout().some((l) => JSON.parse(l).url === url)).toBe(true);
    expect((await request(`${url}/api/health`, caPem, 'GET')).status).toBe(200);
    expect(Number(readFileSync(path.join(stateDir, 'pressluft.pid'), 'utf8'))).toBe(cp.child.pid);
  });

  it('names every bad setting on its own line and exits 2 without starting', async () => {
    const bad = start(CLI_BIN, ['serve', '--state-dir', mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-bad-')), '--port', 'https', '--tls-cert', ca.certFile, '--trusted-proxy', '10.0.0.0/99'], { PRESSLUFT_PUBLIC_URL: 'cp.example.com' });
    expect(await bad.exited).toBe(2);
    const lines = bad.output().split('\n').filter((l) => l.startsWith('pressluft serve: '));
    expect(lines).toEqual([
      'pressluft serve: --port must be a port number (0-65535; 0 picks a free one), got "https"',
      expect.stringMatching(/^pressluft serve: --tls-key: a TLS certificate needs its key/),
      'pressluft serve: PRESSLUFT_PUBLIC_URL: "cp.example.com" is not a URL (e.g. https://cp.example.com)',
      expect.stringMatching(/^pressluft serve: --trusted-proxy: "10.0.0.0\/99" is not an IP address or CIDR/),
    ]);
  });

  it('refuses a second process on the same state directory', async () => {
    const second = start(CLI_BIN, ['serve', '--state-dir', stateDir, '--port', String(await freePort())]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`pressluft serve: another pressluft process (pid ${cp.child.pid}) is running on this state directory`);
    // The first one still serves.
    expect((await request(`${url}/api/health`, caPem, 'GET')).status).toBe(200);
  });
});

describe('the agent against pressluft serve', () => {
  let node: { id: string; token: string };
  let agentDir: string;
  let connected: Proc;

  it('without the CA fails with a clear error and leaves the token unused', async () => {
    node = await createNode('tls-node');
    agentDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-agent-'));
    const untrusting = agent(url, agentDir, [], { PRESSLUFT_AGENT_TOKEN: node.token });
    expect(await untrusting.exited).toBe(1);
    expect(untrusting.output()).toMatch(new RegExp(`pressluft-agent: could not register: the control plane's TLS certificate at ${url} is not trusted \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\\); if your own CA signed it, pass that CA with --ca-file`));
    expect(existsSync(path.join(agentDir, 'credential.json'))).toBe(false);
  });

  it('with the CA file registers (the same token) and connects over wss://', async () => {
    connected = agent(url, agentDir, ['--ca-file', ca.caFile], { PRESSLUFT_AGENT_TOKEN: node.token });
    await waitFor(async () => (await nodeOf(node.id)).agent_connected, { timeoutMs: 30_000, what: 'the agent to connect' });
    expect((await nodeOf(node.id)).agent_version).not.toBeNull();
  });

  it('SIGTERM: serve exits 0 after closing the agent link, releases the lock; the agent reconnects to the next serve', async () => {
    cp.child.kill('SIGTERM');
    expect(await cp.exited).toBe(0);
    expect(cp.stdout().some((l) => JSON.parse(l).msg === 'stopped')).toBe(true);
    expect(existsSync(path.join(stateDir, 'pressluft.pid'))).toBe(false);
    await waitFor(() => /"msg":"disconnected"/.test(connected.output()), { timeoutMs: 10_000, what: 'the agent to log the disconnect' });
    const disconnected = connected.output().split('\n').filter((l) => l.includes('"msg":"disconnected"')).map((l) => JSON.parse(l) as { code: number });
    expect(disconnected.map((l) => l.code)).toEqual([1001]);
    expect(connected.code()).toBeUndefined();

    cp = await serve(['--state-dir', stateDir, '--port', String(port), '--tls-cert', ca.certFile, '--tls-key', ca.keyFile]);
    cookie = (await request(`${url}/api/login`, caPem, 'POST', TEST_ADMIN)).cookie!;
    await waitFor(async () => (await nodeOf(node.id)).agent_connected, { timeoutMs: 30_000, what: 'the agent to reconnect' });
    expect(connected.output()).toMatch(/"msg":"reconnected"/);
    connected.child.kill('SIGTERM');
    expect(await connected.exited).toBe(0);
  });

  it('refuses plain ws:// to a non-loopback address, and connects with --insecure', async () => {
    const address = lanAddress();
    const plainPort = await freePort();
    const plainUrl = `http://${address}:${plainPort}`;
    const plain = await serve(['--state-dir', mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-plain-')), '--host', address, '--port', String(plainPort)]);
    const refusedDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-agent-')), 'state');
    const refused = agent(plainUrl, refusedDir, [], { PRESSLUFT_AGENT_TOKEN: 'a-token-that-must-never-be-sent-0123' });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(`pressluft-agent: refusing plain http:// and ws:// to ${address}:${plainPort}, which is not a loopback address`);
    // Refused before anything: no state written, no request made.
    expect(existsSync(refusedDir)).toBe(false);

    // --insecure: the operator accepts the plain link; the real registration and socket work.
    const plainApi = async (method: string, p: string, body?: unknown, sessionCookie?: string) => {
      const res = await fetch(`${plainUrl}${p}`, { method, headers: { 'content-type': 'application/json', ...(sessionCookie ? { cookie: sessionCookie } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as unknown, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? null };
    };
    const session = (await plainApi('POST', '/api/login', TEST_ADMIN)).cookie!;
    const created = (await plainApi('POST', '/api/nodes', { name: 'plain-node' }, session)).json as { node: NodeDto; registration_token: string };
    const insecure = agent(plainUrl, mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-agent-')), ['--insecure'], { PRESSLUFT_AGENT_TOKEN: created.registration_token });
    await waitFor(async () => ((await plainApi('GET', `/api/nodes/${created.node.id}`, undefined, session)).json as NodeDto).agent_connected, { timeoutMs: 30_000, what: 'the --insecure agent to connect' });
    insecure.child.kill('SIGTERM');
    expect(await insecure.exited).toBe(0);
    plain.child.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
  });
});
