import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build, countRows, ADMIN, type Built } from '../support/build.ts';
import { registerSelfNode } from '../support/fake-agent.ts';

let built: Built;
afterEach(async () => built?.close());

/** Sends one raw HTTP/1.1 request (any request-target, exactly as given) and returns status and body. */
async function rawRequest(baseUrl: string, method: string, target: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  const lines = [`${method} ${target} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), ...(body ? [`content-length: ${Buffer.byteLength(body)}`] : [])];
  const socket = net.connect(Number(port), hostname);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

async function tableCounts(b: Built) {
  return {
    sites: await countRows(b.ctx, 'sites'), environments: await countRows(b.ctx, 'environments'),
    nodes: await countRows(b.ctx, 'nodes'), jobs: await countRows(b.ctx, 'jobs'),
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

// Each target reaches a real route once the router has decoded, case-folded or cleaned the path.
const ATTACKS: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; body?: unknown }> = [
  { method: 'GET', url: '/%61pi/sites' },
  { method: 'GET', url: '/%61pi/docs' },
  { method: 'GET', url: '/%61pi/metrics' },
  { method: 'GET', url: '/%61%70%69/nodes' },
  { method: 'POST', url: '/%61pi/nodes', body: { name: 'evil' } },
  { method: 'POST', url: '/%61pi/sites', body: { name: 'Evil', slug: 'evil' } },
  { method: 'GET', url: '/API/sites' },
  { method: 'GET', url: '/Api/Nodes' },
  { method: 'GET', url: '//api/sites' },
  { method: 'GET', url: '/api//sites' },
  { method: 'GET', url: '/api/sites/' },
  { method: 'GET', url: '/api/sites?x=/api/health' },
  { method: 'GET', url: '/api/health/../sites' },
  { method: 'GET', url: '/api/%2e%2e/api/sites' },
  { method: 'GET', url: '/api%2Fsites' },
  { method: 'GET', url: '/api/login/../sites' },
];

describe('route-based auth: the attack paths stay closed', () => {
  it('answers 401 to every encoded, case-changed or oddly slashed target via inject, writing nothing', async () => {
    built = await build();
    const { nodeId } = await registerSelfNode(built);
    const before = await tableCounts(built);
    const attacks = [...ATTACKS, { method: 'DELETE' as const, url: `/%61pi/nodes/${nodeId}` }, { method: 'DELETE' as const, url: `/%61pi/sites/${nodeId}` }];
    for (const attack of attacks) {
      const res = await built.cp.app.inject({
        method: attack.method, url: attack.url,
        ...(attack.body === undefined ? {} : { payload: attack.body as object, headers: JSON_HEADERS }),
      });
      expect(res.statusCode, `${attack.method} ${attack.url}: ${res.body}`).toBe(401);
      expect(res.json().code).toBe('unauthorized');
      expect(res.body).not.toMatch(/registration_token|token/);
    }
    expect(await tableCounts(built)).toEqual(before);
  });

  it('answers 401 over a raw socket too, the absolute-form target included, writing nothing', async () => {
    built = await build();
    await registerSelfNode(built);
    const before = await tableCounts(built);
    const targets: Array<{ method: string; target: string; body?: string }> = [
      { method: 'GET', target: 'http://x/api/sites' },
      { method: 'GET', target: 'http://x/%61pi/sites' },
      { method: 'GET', target: 'http://x/API/sites' },
      { method: 'POST', target: 'http://x/api/nodes', body: '{"name":"evil"}' },
      { method: 'POST', target: 'http://x/%61pi/nodes', body: '{"name":"evil"}' },
      ...ATTACKS.map((a) => ({ method: a.method, target: a.url, ...(a.body === undefined ? {} : { body: JSON.stringify(a.body) }) })),
    ];
    for (const t of targets) {
      const res = await rawRequest(built.cp.url, t.method, t.target, t.body ? JSON_HEADERS : {}, t.body);
      expect(res.status, `${t.method} ${t.target}: ${res.body}`).toBe(401);
      expect(res.body).toMatch(/"unauthorized"/);
      expect(res.body).not.toMatch(/token/);
    }
    expect(await tableCounts(built)).toEqual(before);
  });

  it('answers 404 for an unmatched /api path with a session and 401 without', async () => {
    built = await build();
    for (const url of ['/api/nope', '/%61pi/nope', '/API/nope', '/api']) {
      expect((await built.cp.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      const withSession = await built.api('GET', url);
      expect(withSession.statusCode, url).toBe(404);
      expect(withSession.json().code).toBe('not_found');
    }
    const post = await built.cp.app.inject({ method: 'POST', url: '/api/nope', payload: {}, headers: JSON_HEADERS });
    expect(post.statusCode).toBe(401);
  });

  it('keeps login, health, node registration and the agent socket public', async () => {
    built = await build();
    expect((await built.cp.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    expect((await built.cp.app.inject({ method: 'GET', url: '/%61pi/health' })).statusCode).toBe(200);
    const register = await built.cp.app.inject({ method: 'POST', url: '/api/nodes/register', payload: { token: 'x'.repeat(43), hostname: 'h' }, headers: JSON_HEADERS });
    expect(register.statusCode).not.toBe(401);
    const login = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: ADMIN });
    expect(login.statusCode).toBe(200);
  });

  it('audits authenticated mutating calls reached through encoded paths under the route they matched', async () => {
    built = await build();
    await registerSelfNode(built);
    const created = await built.api('POST', '/%61pi/sites', { name: 'Encoded', slug: 'encoded' });
    expect(created.statusCode).toBe(202);
    const { site_id } = created.json();
    const deleted = await built.api('DELETE', `/%61pi/sites/${site_id}`, undefined, JSON_HEADERS);
    expect(deleted.statusCode).toBe(202);
    const node = await built.api('POST', '/api/%6eodes', { name: 'second' });
    expect(node.statusCode).toBe(201);
    const rows = await built.ctx.db.selectFrom('audit_logs').select(['action', 'target', 'actor']).where('actor', '=', ADMIN.email).execute();
    expect(rows).toEqual(expect.arrayContaining([
      { action: 'POST /api/sites', target: site_id, actor: ADMIN.email },
      { action: 'DELETE /api/sites/:id', target: site_id, actor: ADMIN.email },
      { action: 'POST /api/nodes', target: node.json().node.id, actor: ADMIN.email },
    ]));
  });

  it('audits an anonymous mutating attempt through an encoded path as refused', async () => {
    built = await build();
    await built.cp.app.inject({ method: 'POST', url: '/%61pi/nodes', payload: { name: 'evil' }, headers: JSON_HEADERS });
    const rows = await built.ctx.db.selectFrom('audit_logs').selectAll().where('actor', '=', 'anonymous').execute();
    expect(rows).toEqual([expect.objectContaining({ action: 'POST /api/nodes', status_code: 401 })]);
  });
});

describe('bearer sessions', () => {
  it('issues a token instead of a cookie, accepts it as Authorization: Bearer and revokes it on logout', async () => {
    built = await build();
    const login = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: { ...ADMIN, issue_token: true } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['set-cookie']).toBeUndefined();
    const { token, expires_at } = login.json();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    const headers = { authorization: `Bearer ${token}` };
    const me = await built.cp.app.inject({ method: 'GET', url: '/api/me', headers });
    expect(me.json().user.email).toBe(ADMIN.email);
    const logout = await built.cp.app.inject({ method: 'POST', url: '/api/logout', headers });
    expect(logout.statusCode).toBe(200);
    expect((await built.cp.app.inject({ method: 'GET', url: '/api/sites', headers })).statusCode).toBe(401);
    // The cookie session of build() is a different session and still works.
    expect((await built.api('GET', '/api/sites')).statusCode).toBe(200);
  });

  it('refuses a made-up or wrongly framed bearer token with 401', async () => {
    built = await build();
    for (const authorization of ['Bearer ' + 'A'.repeat(43), 'Basic YWRtaW46cHc=', `Bearer ${built.cookie.split('=')[1]}x`]) {
      const res = await built.cp.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
  });
});
