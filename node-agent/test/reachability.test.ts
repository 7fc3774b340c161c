import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkReachability } from '../src/reachability.ts';

const ENV_ID = '0a1b2c3d-0000-4000-8000-000000000001';
const HOST = '0a1b2c3d.localhost';

interface Site {
  status?: number;
  envHeader?: string | null;
  body?: string;
  home?: string;
}

let server: http.Server | null = null;
let seenHosts: string[] = [];

/** A stand-in web server that answers as WordPress for HOST:<port>, as configured. */
async function serve(site: Site | (() => Site)): Promise<number> {
  seenHosts = [];
  server = http.createServer((req, res) => {
    seenHosts.push(req.headers.host ?? '');
    const s = typeof site === 'function' ? site() : site;
    const port = (server!.address() as AddressInfo).port;
    const home = s.home ?? `http://${HOST}:${port}`;
    if (s.envHeader !== null) res.setHeader('X-Pressluft-Environment', s.envHeader ?? ENV_ID);
    res.statusCode = s.status ?? 200;
    if (req.url === '/?rest_route=/') res.end(JSON.stringify({ name: 'Site', home }));
    else res.end(s.body ?? '<html><link href="/wp-content/themes/x.css"></html>');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  const open = server;
  server = null;
  if (open) await new Promise((resolve) => open.close(resolve));
});

const expectation = (port: number) => ({ environment_id: ENV_ID, preview_url: `http://${HOST}:${port}`, host: HOST, http_port: port });

describe('checkReachability', () => {
  it('passes for 200, the environment header, a WordPress page and the right home URL, sending the preview host', async () => {
    const port = await serve({});
    const report = await checkReachability(expectation(port), { deadlineMs: 5000 });
    expect(report).toMatchObject({ kind: 'reachability', ok: true, http_status: 200, header_environment_id: ENV_ID, is_wordpress: true, home_url: `http://${HOST}:${port}`, attempts: 1, reason: null, body_excerpt: null, host: HOST, environment_id: ENV_ID });
    expect(seenHosts).toEqual([`${HOST}:${port}`, `${HOST}:${port}`]);
  });

  it('fails when the environment header names another environment', async () => {
    const port = await serve({ envHeader: 'another-env' });
    const report = await checkReachability(expectation(port), { deadlineMs: 600, intervalMs: 100 });
    expect(report.ok).toBe(false);
    expect(report.header_environment_id).toBe('another-env');
    expect(report.reason).toContain('X-Pressluft-Environment');
    expect(report.attempts).toBeGreaterThan(1);
    expect(report.body_excerpt).toContain('wp-content');
  });

  it('fails when WordPress home is another URL', async () => {
    const port = await serve({ home: 'http://elsewhere.localhost:8080' });
    const report = await checkReachability(expectation(port), { deadlineMs: 300, intervalMs: 100 });
    expect(report).toMatchObject({ ok: false, home_url: 'http://elsewhere.localhost:8080' });
    expect(report.reason).toContain('home');
  });

  it('fails on HTTP 500 with a short body excerpt', async () => {
    const port = await serve({ status: 500, body: 'x'.repeat(2000) });
    const report = await checkReachability(expectation(port), { deadlineMs: 300, intervalMs: 100 });
    expect(report).toMatchObject({ ok: false, http_status: 500 });
    expect(report.reason).toContain('HTTP 500');
    expect(report.body_excerpt).toHaveLength(500);
  });

  it('fails when the page is not WordPress', async () => {
    const port = await serve({ body: '<html>Welcome to nginx!</html>' });
    const report = await checkReachability(expectation(port), { deadlineMs: 300, intervalMs: 100 });
    expect(report).toMatchObject({ ok: false, is_wordpress: false });
  });

  it('retries until the site answers within the deadline', async () => {
    let calls = 0;
    const port = await serve(() => (++calls <= 3 ? { status: 502 } : {}));
    const report = await checkReachability(expectation(port), { deadlineMs: 10_000, intervalMs: 50 });
    expect(report.ok).toBe(true);
    expect(report.attempts).toBe(4);
  });

  it('reports a refused connection as a failure', async () => {
    const port = await serve({});
    await new Promise((resolve) => server!.close(resolve));
    server = null;
    const report = await checkReachability(expectation(port), { deadlineMs: 300, intervalMs: 100 });
    expect(report).toMatchObject({ ok: false, http_status: null });
    expect(report.reason).toContain('ECONNREFUSED');
  });
});
