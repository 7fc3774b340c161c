import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type TestCa } from '../../test/support/test-cert.ts';
import { AgentFatalError, startAgent } from '../src/index.ts';
import { checkControlPlaneUrl, isLoopbackHost, readCaFile } from '../src/transport.ts';
import { harness, type Harness } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

const BIN = fileURLToPath(new URL('../bin/pressluft-agent.js', import.meta.url));

let ca: TestCa;
let otherCa: TestCa;
let h: Harness | null = null;
beforeAll(() => {
  ca = makeTestCa();
  otherCa = makeTestCa();
});
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

const tls = () => ({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) });

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('the agent over TLS', () => {
  it('registers over https and connects over wss with the CA given', async () => {
    h = await harness({ credential: false, tls: tls() });
    expect(h.cp.url).toMatch(/^https:/);
    h.cp.registrationTokens.add('token-0123456789abcdefghij');
    const agent = await h.start({ registrationToken: 'token-0123456789abcdefghij', ca: readCaFile(ca.caFile) });
    await agent.connected;
    expect(h.cp.connections).toBe(1);
  });

  it('without the CA (system CAs only), refuses the certificate at registration with a clear, fatal error', async () => {
    h = await harness({ credential: false, tls: tls() });
    h.cp.registrationTokens.add('token-0123456789abcdefghij');
    const error = await h.start({ registrationToken: 'token-0123456789abcdefghij' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentFatalError);
    expect((error as Error).message).toMatch(/TLS certificate at https:\/\/127\.0\.0\.1:\d+ is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); if your own CA signed it, pass that CA with --ca-file/);
    // The token was never presented to the untrusted server.
    expect(h.cp.registrationTokens.has('token-0123456789abcdefghij')).toBe(true);
  });

  it('with the wrong CA, a registered agent keeps retrying, logs why at error level once, and never sends its credential', async () => {
    h = await harness({ tls: tls() });
    const { logger, lines } = capturingLogger();
    const agent = await h.start({ ca: readCaFile(otherCa.caFile), logger });
    const tlsLines = () => lines.filter((l) => l.level === 50 && /TLS certificate at wss:\/\/127\.0\.0\.1:\d+\/api\/agent\/ws is not trusted/.test(l.msg));
    await waitFor(() => tlsLines().length === 1, 'the TLS error line');
    expect(tlsLines()[0].msg).toContain('check that --ca-file holds the CA that signed it');
    await waitFor(() => lines.filter((l) => l.msg === 'connection attempt failed').length >= 2, 'two more attempts');
    expect(tlsLines()).toHaveLength(1);
    expect(h.cp.connections).toBe(0);
    await agent.stop();
  });

  it('a certificate for another host name is refused even with the right CA', async () => {
    const wrongName = makeTestCa(['cp.example.com']);
    h = await harness({ credential: false, tls: { cert: readFileSync(wrongName.certFile), key: readFileSync(wrongName.keyFile) } });
    h.cp.registrationTokens.add('token-0123456789abcdefghij');
    const error = await h.start({ registrationToken: 'token-0123456789abcdefghij', ca: readCaFile(wrongName.caFile) }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*use a URL whose host name the certificate names/);
  });
});

describe('an https:// URL on a plain-HTTP port', () => {
  it('is told apart from a certificate problem, at registration, before the token is sent', async () => {
    h = await harness({ credential: false });
    h.cp.registrationTokens.add('token-0123456789abcdefghij');
    const url = h.cp.url.replace(/^http:/, 'https:');
    const error = await h.start({ controlPlaneUrl: url, registrationToken: 'token-0123456789abcdefghij' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentFatalError);
    expect((error as Error).message).toMatch(/^could not register: https:\/\/127\.0\.0\.1:\d+ does not answer with TLS .*is the control plane serving plain HTTP on that port\?$/);
    expect(h.cp.registrationTokens.has('token-0123456789abcdefghij')).toBe(true);
  });
});

describe('plain ws:// only to loopback', () => {
  it('refuses http:// to a non-loopback host before touching the state dir or the network', async () => {
    const stateDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'pressluft-agent-tls-')), 'state');
    const error = await startAgent({ controlPlaneUrl: 'http://192.0.2.10:8080', stateDir, registrationToken: 'token-0123456789abcdefghij' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentFatalError);
    expect((error as Error).message).toMatch(/^refusing plain http:\/\/ and ws:\/\/ to 192\.0\.2\.10:8080, which is not a loopback address.*--insecure/);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('allows loopback names and addresses, and anything with insecure; https always', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'abc.localhost', '[::1]']) expect(isLoopbackHost(new URL(`http://${host}/`).hostname)).toBe(true);
    for (const host of ['10.0.0.1', '192.0.2.10', '[::ffff:10.0.0.1]', 'cp.example.com', 'localhost.example.com', '[fe80::1]']) expect(isLoopbackHost(new URL(`http://${host}/`).hostname)).toBe(false);
    expect(() => checkControlPlaneUrl('http://10.0.0.1:8080', true)).not.toThrow();
    expect(() => checkControlPlaneUrl('https://10.0.0.1:8443', false)).not.toThrow();
    expect(() => checkControlPlaneUrl('ws://127.0.0.1:8080', false)).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
  });

  it('the agent binary exits 1 naming the refusal, and a bad --ca-file, without starting', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'pressluft-agent-tls-'));
    const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, '--state-dir', stateDir, ...args], { env: { ...process.env, PRESSLUFT_AGENT_TOKEN: 'token-0123456789abcdefghij' }, timeout: 15_000 }, (error, _stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stderr });
      });
    });
    const plain = await run(['--url', 'http://192.0.2.10:8080']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^pressluft-agent: refusing plain http:\/\/ and ws:\/\/ to 192\.0\.2\.10:8080/);
    const missing = await run(['--url', 'https://127.0.0.1:1', '--ca-file', path.join(stateDir, 'nope.pem')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`pressluft-agent: --ca-file: cannot read ${path.join(stateDir, 'nope.pem')} (ENOENT)`);
    const notPem = await run(['--url', 'https://127.0.0.1:1', '--ca-file', ca.keyFile]);
    expect(notPem.stderr).toContain(`--ca-file: ${ca.keyFile} does not hold a PEM certificate`);
  });
});
