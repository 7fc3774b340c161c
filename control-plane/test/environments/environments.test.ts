import { afterEach, describe, expect, it } from 'vitest';
import { build, countRows, waitFor, type Built } from '../support/build.ts';
import { connectedAgent, failResult, FakeAgent, okResult, reachability, registerSelfNode } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

/** A site whose production environment is active. */
async function activeSite(): Promise<{ agent: FakeAgent; siteId: string; prodId: string }> {
  built = await build();
  const agent = await connectedAgent(built);
  agents.push(agent);
  const { site_id, environment_id, job_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
  const d = await agent.next('job_dispatch', (m) => m.job_id === job_id);
  agent.event(job_id, 1, 1, reachability(d.reachability!));
  agent.event(job_id, 1, 2, okResult());
  await waitFor(async () => (await built.api('GET', `/api/sites/${site_id}`)).json().status === 'active', 'site active');
  return { agent, siteId: site_id, prodId: environment_id };
}

const envBody = (source: string, extra: Record<string, unknown> = {}) => ({ name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: source, ...extra });

describe('environments', () => {
  it('creates a staging environment in creating with its own preview URL and an env_create job', async () => {
    const { siteId, prodId } = await activeSite();
    const res = await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId));
    expect(res.statusCode).toBe(202);
    const env = (await built.api('GET', `/api/environments/${res.json().environment_id}`)).json();
    expect(env).toMatchObject({ type: 'staging', status: 'creating', source_environment_id: prodId, site_id: siteId });
    const prod = (await built.api('GET', `/api/environments/${prodId}`)).json();
    expect(env.preview_url).not.toBe(prod.preview_url);
    expect(env.preview_url).toBe(`http://${env.id.slice(0, 8)}.localhost:8080`);
    expect((await built.api('GET', `/api/sites/${siteId}/environments`)).json()).toHaveLength(2);
  });

  it('rejects a duplicate slug within the site (409), bad types and foreign sources (400), writing nothing', async () => {
    const { siteId, prodId } = await activeSite();
    await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId));
    const before = await countRows(built.ctx, 'environments');
    const dup = await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId));
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('conflict');
    const badType = await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId, { slug: 'x', type: 'production' }));
    expect(badType.statusCode).toBe(400);
    expect(badType.json().message).toMatch(/^type: /);
    const foreign = await built.api('POST', `/api/sites/${siteId}/environments`, envBody('00000000-0000-4000-8000-000000000000', { slug: 'y' }));
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().message).toMatch(/^source_environment_id: /);
    expect(await countRows(built.ctx, 'environments')).toBe(before);
  });

  it('refuses to copy from a source that is not active with 409 invalid_state', async () => {
    built = await build();
    await registerSelfNode(built);
    const { site_id, environment_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const res = await built.api('POST', `/api/sites/${site_id}/environments`, envBody(environment_id));
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('invalid_state');
  });

  it('resets a failed staging environment with a fresh env_create, and only its success makes it active', async () => {
    const { agent, siteId, prodId } = await activeSite();
    const { environment_id, job_id } = (await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId))).json();
    await agent.next('job_dispatch', (m) => m.job_id === job_id);
    agent.event(job_id, 1, 1, failResult('ANSIBLE_SYNTAX_ERROR'));
    const envStatus = async () => (await built.api('GET', `/api/environments/${environment_id}`)).json().status;
    await waitFor(async () => (await envStatus()) === 'failed', 'env failed');
    expect((await built.api('GET', `/api/sites/${siteId}`)).json().status).toBe('active');
    const reset = await built.api('POST', `/api/environments/${environment_id}/reset`);
    expect(reset.statusCode).toBe(202);
    expect(await envStatus()).toBe('creating');
    const d = await agent.next('job_dispatch', (m) => m.job_id === reset.json().job_id);
    expect(d).toMatchObject({ job_type: 'env_create', attempt: 1 });
    agent.event(d.job_id, 1, 1, reachability(d.reachability!));
    agent.event(d.job_id, 1, 2, okResult());
    await waitFor(async () => (await envStatus()) === 'active', 'env active');
    expect((await built.api('POST', `/api/environments/${environment_id}/reset`)).json().code).toBe('resource_not_failed');
  });

  it('deletes a whole site: site_delete success marks the site and every environment deleted and frees the slug', async () => {
    const { agent, siteId, prodId } = await activeSite();
    const staging = (await built.api('POST', `/api/sites/${siteId}/environments`, envBody(prodId))).json();
    const ds = await agent.next('job_dispatch', (m) => m.job_id === staging.job_id);
    agent.event(ds.job_id, 1, 1, reachability(ds.reachability!));
    agent.event(ds.job_id, 1, 2, okResult());
    await waitFor(async () => (await built.api('GET', `/api/environments/${staging.environment_id}`)).json().status === 'active', 'staging active');
    const del = (await built.api('DELETE', `/api/sites/${siteId}`)).json();
    const d = await agent.next('job_dispatch', (m) => m.job_id === del.job_id);
    expect(d.vars.pressluft_env_ids).toEqual(expect.arrayContaining([prodId, staging.environment_id]));
    agent.event(d.job_id, 1, 1, okResult());
    await waitFor(async () => (await built.api('GET', `/api/sites/${siteId}`)).json().status === 'deleted', 'site deleted');
    expect((await built.api('GET', `/api/environments/${staging.environment_id}`)).json().status).toBe('deleted');
    expect((await built.api('GET', '/api/sites')).json()).toEqual([]);
    expect((await built.api('GET', '/api/metrics')).json().sites_total).toBe(0);
    expect((await built.api('POST', '/api/sites', { name: 'A again', slug: 'a' })).statusCode).toBe(202);
  });
});
