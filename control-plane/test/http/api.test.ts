import { afterEach, describe, expect, it } from 'vitest';
import { build, countRows, ADMIN, type Built } from '../support/build.ts';
import { registerSelfNode } from '../support/fake-agent.ts';

let built: Built;
afterEach(async () => built?.close());

async function withSelfNode(): Promise<string> {
  built = await build();
  return (await registerSelfNode(built)).nodeId;
}

describe('auth', () => {
  it('answers 401 unauthorized on every api route without a session, but not on health', async () => {
    built = await build();
    for (const [method, url] of [['GET', '/api/sites'], ['POST', '/api/sites'], ['GET', '/api/jobs'], ['GET', '/api/nodes'], ['GET', '/api/metrics'], ['GET', '/api/docs'], ['GET', '/api/nope']] as const) {
      const res = await built.cp.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().code).toBe('unauthorized');
    }
    const health = await built.cp.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toEqual({ ok: true });
  });

  it('sets an httpOnly SameSite=Lax session cookie on login and forgets it on logout', async () => {
    built = await build();
    const login = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: ADMIN });
    const cookie = login.cookies.find((c) => c.name === 'session_token')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    const headers = { cookie: `session_token=${cookie.value}` };
    expect((await built.cp.app.inject({ method: 'GET', url: '/api/sites', headers })).statusCode).toBe(200);
    await built.cp.app.inject({ method: 'POST', url: '/api/logout', headers: { ...headers, 'content-type': 'application/json' } });
    expect((await built.cp.app.inject({ method: 'GET', url: '/api/sites', headers })).statusCode).toBe(401);
  });

  it('rate-limits the 11th failed login for one email and IP with 429 and audits failures', async () => {
    built = await build();
    for (let i = 0; i < 10; i++) {
      const res = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: { email: ADMIN.email, password: 'wrong' } });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: ADMIN });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    const other = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: { email: 'other@pressluft.test', password: 'x' } });
    expect(other.statusCode).toBe(401);
    const audits = await built.ctx.db.selectFrom('audit_logs').selectAll().where('action', '=', 'POST /api/login').where('status_code', '=', 401).execute();
    expect(audits.length).toBeGreaterThanOrEqual(10);
    expect(audits[0].target).toBe(ADMIN.email);
    expect(JSON.stringify(audits)).not.toContain('wrong');
  });
});

describe('sites API', () => {
  it('creates a site with its production environment in creating, a preview URL and a queued site_create', async () => {
    await withSelfNode();
    const res = await built.api('POST', '/api/sites', { name: '  Acme Inc.  ', slug: 'acme' });
    expect(res.statusCode).toBe(202);
    const { site_id, job_id, environment_id } = res.json();
    const site = (await built.api('GET', `/api/sites/${site_id}`)).json();
    expect(site).toMatchObject({ name: 'Acme Inc.', slug: 'acme', status: 'creating', primary_environment_id: environment_id });
    expect(site.environments).toHaveLength(1);
    expect(site.environments[0]).toMatchObject({ type: 'production', status: 'creating', preview_url: `http://${environment_id.slice(0, 8)}.localhost:8080` });
    const job = (await built.api('GET', `/api/jobs/${job_id}`)).json();
    expect(job).toMatchObject({ job_type: 'site_create', status: 'queued', attempt: 0, site_id, environment_id });
    expect(job.waiting_reason).toMatch(/agent/);
    const payload = (await built.ctx.db.selectFrom('jobs').select('payload').where('id', '=', job_id).executeTakeFirstOrThrow()).payload;
    expect(payload).not.toMatch(/secret/);
    expect(JSON.parse(payload).vars).toMatchObject({ pressluft_env_id: environment_id, pressluft_admin_email: ADMIN.email, pressluft_http_port: 8080, pressluft_preview_host: `${environment_id.slice(0, 8)}.localhost` });
    const list = (await built.api('GET', '/api/sites')).json();
    expect(list.map((s: { id: string }) => s.id)).toEqual([site_id]);
  });

  it('answers 409 conflict for a duplicate slug and writes nothing', async () => {
    await withSelfNode();
    await built.api('POST', '/api/sites', { name: 'A', slug: 'dup' });
    const before = [await countRows(built.ctx, 'sites'), await countRows(built.ctx, 'jobs')];
    const res = await built.api('POST', '/api/sites', { name: 'B', slug: 'dup' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('conflict');
    expect([await countRows(built.ctx, 'sites'), await countRows(built.ctx, 'jobs')]).toEqual(before);
  });

  it('refuses a site on a missing node with 409 node_unavailable', async () => {
    built = await build();
    const res = await built.api('POST', '/api/sites', { name: 'A', slug: 'a' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('node_unavailable');
    const res2 = await built.api('POST', '/api/sites', { name: 'A', slug: 'a', node_id: '00000000-0000-4000-8000-000000000000' });
    expect(res2.json().code).toBe('node_unavailable');
    expect(await countRows(built.ctx, 'sites')).toBe(0);
  });

  const badBodies: Array<[string, unknown, RegExp]> = [
    ['uppercase slug', { name: 'A', slug: 'Acme' }, /^slug: /],
    ['double hyphen', { name: 'A', slug: 'a--b' }, /^slug: /],
    ['slug too long', { name: 'A', slug: 'a'.repeat(41) }, /^slug: /],
    ['empty name', { name: '   ', slug: 'ok' }, /^name: /],
    ['name too long', { name: 'x'.repeat(101), slug: 'ok' }, /^name: /],
    ['unknown field', { name: 'A', slug: 'ok', admin: true }, /^admin: unknown field/],
    ['node id not a uuid', { name: 'A', slug: 'ok', node_id: 'self' }, /^node_id: /],
    ['not an object', [1, 2], /^body: /],
  ];
  for (const [what, body, message] of badBodies) {
    it(`answers 400 bad_request naming the field for ${what} and writes nothing`, async () => {
      await withSelfNode();
      const res = await built.api('POST', '/api/sites', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('bad_request');
      expect(res.json().message).toMatch(message);
      expect(await countRows(built.ctx, 'sites')).toBe(0);
      expect(await countRows(built.ctx, 'jobs')).toBe(0);
    });
  }

  it('answers 413 for bodies over 64 KiB, 415 for non-JSON and 400 for broken JSON, writing nothing', async () => {
    await withSelfNode();
    const big = await built.api('POST', '/api/sites', { name: 'A', slug: 'a', pad: 'x'.repeat(70_000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    const text = await built.api('POST', '/api/sites', 'name=A&slug=a', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('unsupported_media_type');
    const form = await built.api('POST', '/api/sites', 'name=A&slug=a', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.statusCode).toBe(415);
    const broken = await built.api('POST', '/api/sites', '{"name": ', { 'content-type': 'application/json' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('bad_request');
    const empty = await built.api('POST', '/api/sites', '', { 'content-type': 'application/json' });
    expect(empty.json()).toMatchObject({ code: 'bad_request', message: 'body: must be a JSON object' });
    expect(await countRows(built.ctx, 'sites')).toBe(0);
  });

  it('accepts body-less POSTs that still carry a JSON content type', async () => {
    await withSelfNode();
    const { job_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const res = await built.api('POST', `/api/jobs/${job_id}/cancel`, '', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(202);
  });

  it('answers 400 for ids that are not UUIDs and 404 for unknown ones', async () => {
    built = await build();
    const bad = await built.api('GET', '/api/sites/acme');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^id: /);
    const missing = await built.api('GET', '/api/sites/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not_found');
    expect((await built.api('GET', '/api/jobs?status=&site_id=&limit=')).statusCode).toBe(200);
    const query = await built.api('GET', '/api/jobs?status=exploded');
    expect(query.statusCode).toBe(400);
    expect(query.json().message).toMatch(/^status: /);
  });

  it('deletes a site: deleting, site_delete with all its env ids, and the slug stays taken until deleted', async () => {
    await withSelfNode();
    const { site_id, environment_id, job_id: createJob } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'gone' })).json();
    const del = await built.api('DELETE', `/api/sites/${site_id}`);
    expect(del.statusCode).toBe(202);
    const job = await built.ctx.db.selectFrom('jobs').selectAll().where('id', '=', del.json().job_id).executeTakeFirstOrThrow();
    expect(job.job_type).toBe('site_delete');
    expect(JSON.parse(job.payload).vars).toEqual({ pressluft_env_ids: [environment_id] });
    // The queued create can never run any more.
    expect((await built.api('GET', `/api/jobs/${createJob}`)).json()).toMatchObject({ status: 'cancelled', error_code: 'JOB_SUPERSEDED' });
    expect((await built.api('GET', `/api/sites/${site_id}`)).json().status).toBe('deleting');
    expect((await built.api('POST', '/api/sites', { name: 'B', slug: 'gone' })).statusCode).toBe(409);
    expect((await built.api('DELETE', `/api/sites/${site_id}`)).statusCode).toBe(409);
  });

  it('answers 409 resource_not_failed when resetting a site that is not failed', async () => {
    await withSelfNode();
    const { site_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const res = await built.api('POST', `/api/sites/${site_id}/reset`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('resource_not_failed');
  });

  it('refuses to delete a production environment directly with 409 invalid_state', async () => {
    await withSelfNode();
    const { environment_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const res = await built.api('DELETE', `/api/environments/${environment_id}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('invalid_state');
  });
});

describe('system routes', () => {
  it('serves metrics, an OpenAPI document, and a hint page at / without a dashboard', async () => {
    await withSelfNode();
    await built.api('POST', '/api/sites', { name: 'A', slug: 'a' });
    expect((await built.api('GET', '/api/metrics')).json()).toMatchObject({ jobs_running: 0, jobs_queued: 1, nodes_active: 0, sites_total: 1 });
    const doc = (await built.api('GET', '/api/docs')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/sites'].post.requestBody.content['application/json'].schema.properties.slug).toBeTruthy();
    const root = await built.cp.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(200);
    expect(root.body).toMatch(/dashboard is not built/);
  });

  it('records an audit row for every mutating call without request bodies', async () => {
    await withSelfNode();
    const { site_id } = (await built.api('POST', '/api/sites', { name: 'Audit me', slug: 'audited' })).json();
    const rows = await built.ctx.db.selectFrom('audit_logs').selectAll().where('action', '=', 'POST /api/sites').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: ADMIN.email, target: site_id, status_code: 202 });
    expect(rows[0].ip).toBeTruthy();
  });
});
