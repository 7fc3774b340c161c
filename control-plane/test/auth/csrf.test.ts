import { afterEach, describe, expect, it } from 'vitest';
import { build, countRows, ADMIN, type Built } from '../support/build.ts';
import { markProvisioned, registerSelfNode } from '../support/fake-agent.ts';

let built: Built;
afterEach(async () => built?.close());

async function victimSite(b: Built): Promise<{ siteId: string; nodeId: string }> {
  const { nodeId } = await registerSelfNode(b);
  await markProvisioned(b, nodeId);
  const { site_id } = (await b.api('POST', '/api/sites', { name: 'Victim', slug: 'victim' })).json();
  return { siteId: site_id, nodeId };
}

describe('CSRF: cookie calls must say JSON', () => {
  it('answers 415 unsupported_media_type to a cookie POST or DELETE without a JSON content type, as a same-site page would send it, changing nothing', async () => {
    built = await build();
    const { siteId, nodeId } = await victimSite(built);
    const jobsBefore = await countRows(built.ctx, 'jobs');
    const sitesBefore = await built.ctx.db.selectFrom('sites').select(['id', 'status']).execute();
    // What a page on a preview domain can make the browser send without a CORS preflight.
    const forged: Array<{ method: 'POST' | 'DELETE'; url: string; headers: Record<string, string>; payload?: string }> = [
      { method: 'DELETE', url: `/api/sites/${siteId}`, headers: {} },
      { method: 'POST', url: `/api/sites/${siteId}/reset`, headers: {} },
      { method: 'POST', url: `/api/nodes/${nodeId}/provision`, headers: {} },
      { method: 'POST', url: `/api/nodes/${nodeId}/provision`, headers: { 'content-type': 'text/plain' }, payload: '' },
      { method: 'POST', url: '/api/sites', headers: { 'content-type': 'text/plain' }, payload: '{"name":"Csrf","slug":"csrf"}' },
      { method: 'POST', url: '/api/sites', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=Csrf&slug=csrf' },
      { method: 'POST', url: '/%61pi/sites', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' },
      { method: 'POST', url: '/api/logout', headers: {} },
    ];
    for (const f of forged) {
      const res = await built.cp.app.inject({ method: f.method, url: f.url, headers: { cookie: built.cookie, ...f.headers }, ...(f.payload === undefined ? {} : { payload: f.payload }) });
      expect(res.statusCode, `${f.method} ${f.url} ${JSON.stringify(f.headers)}`).toBe(415);
      expect(res.json().code).toBe('unsupported_media_type');
    }
    expect(await countRows(built.ctx, 'jobs')).toBe(jobsBefore);
    expect(await built.ctx.db.selectFrom('sites').select(['id', 'status']).execute()).toEqual(sitesBefore);
    // The forged logout did not end the session either.
    expect((await built.api('GET', '/api/me')).json().user.email).toBe(ADMIN.email);
  });

  it('accepts a bodyless cookie call that sends Content-Type: application/json', async () => {
    built = await build();
    const { siteId } = await victimSite(built);
    const res = await built.cp.app.inject({ method: 'DELETE', url: `/api/sites/${siteId}`, headers: { cookie: built.cookie, 'content-type': 'application/json; charset=utf-8' } });
    expect(res.statusCode).toBe(202);
  });

  it('does not ask a bearer call for a content type: no browser sends the header by itself', async () => {
    built = await build();
    const { siteId } = await victimSite(built);
    const { token } = (await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: { ...ADMIN, issue_token: true } })).json();
    const res = await built.cp.app.inject({ method: 'DELETE', url: `/api/sites/${siteId}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(202);
  });

  it('answers 401, not 415, to an anonymous bodyless DELETE through an encoded path', async () => {
    built = await build();
    const { siteId } = await victimSite(built);
    const res = await built.cp.app.inject({ method: 'DELETE', url: `/%61pi/sites/${siteId}` });
    expect(res.statusCode).toBe(401);
    expect((await built.ctx.db.selectFrom('sites').select('status').where('id', '=', siteId).executeTakeFirstOrThrow()).status).not.toBe('deleting');
  });
});
