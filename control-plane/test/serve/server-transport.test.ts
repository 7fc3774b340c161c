import { readFileSync, mkdtempSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestCa } from '../../../test/support/test-cert.ts';
import { startControlPlane, type ControlPlane } from '../../src/index.ts';
import { getSetting } from '../../src/settings.ts';
import { ADMIN, build } from '../support/build.ts';
import { connectedAgent } from '../support/fake-agent.ts';

let cp: ControlPlane | null = null;
afterEach(async () => {
  await cp?.close();
  cp = null;
});

async function start(extra: Partial<Parameters<typeof startControlPlane>[0]> = {}): Promise<ControlPlane> {
  cp = await startControlPlane({
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'pressluft-cp-serve-')), port: 0, dashboardDir: null,
    adminEmail: ADMIN.email, adminPassword: ADMIN.password, logger: pino({ level: 'silent' }), ...extra,
  });
  return cp;
}

function httpsGet(url: string, ca?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(url, ca ? { ca } : {}, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** A login whose request claims, through X-Forwarded-*, to come from 203.0.113.9 over https. */
async function forwardedLogin(url: string) {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
    body: JSON.stringify(ADMIN),
  });
  expect(res.status).toBe(200);
  const row = await cp!.app.pressluft.db.selectFrom('audit_logs').select('ip').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  return { secureCookie: /;\s*Secure/i.test(res.headers.get('set-cookie') ?? ''), ip: row.ip };
}

describe('the control plane as a service', () => {
  it('serves HTTPS with the given certificate; a client trusting only the system CAs refuses it', async () => {
    const ca = makeTestCa();
    await start({ tls: { cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) } });
    expect(cp!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsGet(`${cp!.url}/api/health`, readFileSync(ca.caFile))).toBe(200);
    await expect(httpsGet(`${cp!.url}/api/health`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('ignores X-Forwarded-* from a client that is not a trusted proxy', async () => {
    await start();
    expect(await forwardedLogin(cp!.url)).toEqual({ secureCookie: false, ip: '127.0.0.1' });
  });

  it('believes X-Forwarded-For and -Proto from a configured proxy address', async () => {
    await start({ trustedProxies: ['127.0.0.1'] });
    expect(await forwardedLogin(cp!.url)).toEqual({ secureCookie: true, ip: '203.0.113.9' });
  });

  it('stores the preview domain and keeps the public URL it was given, else the listen URL', async () => {
    await start({ previewDomain: 'preview.example.com', publicUrl: 'https://cp.example.com' });
    expect(await getSetting(cp!.app.pressluft.db, 'preview_domain')).toBe('preview.example.com');
    expect(cp!.app.pressluft.config.publicUrl).toBe('https://cp.example.com');
    await cp!.close();
    await start();
    expect(cp!.app.pressluft.config.publicUrl).toBe(cp!.url);
  });
});

describe('close()', () => {
  it('lets a request in flight finish, refuses new ones, and closes agent sockets with 1001 (going away)', async () => {
    // A drain longer than the test's timeout: close() must end when the request has, not at the drain deadline.
    const built = await build({ config: { drainMs: 60_000 } });
    const agent = await connectedAgent(built);
    const received = new Promise<void>((resolve) => built.cp.app.server.once('request', () => resolve()));
    // A login hashes a password: slow enough to be in flight when close() starts.
    const inFlight = fetch(`${built.cp.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    await received;
    const closing = built.close();
    expect((await inFlight).status).toBe(200);
    expect(await agent.closed).toBe(1001);
    await closing;
    await expect(fetch(`${built.cp.url}/api/health`)).rejects.toThrow();
  });
});
