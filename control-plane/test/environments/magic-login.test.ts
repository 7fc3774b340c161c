import { afterEach, describe, expect, it } from 'vitest';
import { build, waitFor, type Built } from '../support/build.ts';
import { connectedAgent, okResult, reachability, type FakeAgent } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

const TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx';

/** A site whose production environment is active, on a node with a fake agent. */
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

/** Answers the next node_query with `result` (a function of the query). */
async function answerNext(agent: FakeAgent, result: unknown): Promise<void> {
  const from = agent.received.length;
  const request = await agent.next('node_query', () => true, 10_000, from);
  agent.send({ type: 'node_query_result', request_id: request.request_id, result });
}

async function auditRows() {
  return built.ctx.db.selectFrom('audit_logs').selectAll().where('action', '=', 'magic_login').orderBy('id').execute();
}

describe('POST /api/environments/:id/magic-login', () => {
  it('asks the node for a token and answers a login URL on the environment\'s preview URL', async () => {
    const { agent, prodId } = await activeSite();
    const env = (await built.api('GET', `/api/environments/${prodId}`)).json();
    const from = agent.received.length;
    const pending = built.api('POST', `/api/environments/${prodId}/magic-login`);
    const request = await agent.next('node_query', () => true, 10_000, from);
    expect(request.query).toEqual({ kind: 'magic_login', environment_id: prodId, address: env.preview_url });
    expect(request.deadline_ms).toBe(10_000);
    agent.send({ type: 'node_query_result', request_id: request.request_id, result: { ok: true, answer: { kind: 'magic_login', token: TOKEN, expires_at: '2026-12-07T13:01:00.000Z' } } });
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ login_url: `${env.preview_url}/?pressluft_login=${TOKEN}`, expires_at: '2026-12-07T13:01:00.000Z' });
  });

  it('works while a job runs on the node, without taking a job slot', async () => {
    const { agent, siteId, prodId } = await activeSite();
    const staging = (await built.api('POST', `/api/sites/${siteId}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: prodId })).json();
    await agent.next('job_dispatch', (m) => m.job_id === staging.job_id);
    const pending = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: true, answer: { kind: 'magic_login', token: TOKEN, expires_at: '2026-12-07T13:01:00.000Z' } });
    expect((await pending).statusCode).toBe(200);
    expect((await built.api('GET', `/api/jobs/${staging.job_id}`)).json().status).toBe('running');
    const jobs = await built.ctx.db.selectFrom('jobs').select('job_type').execute();
    expect(jobs.map((j) => j.job_type).sort()).toEqual(['env_create', 'site_create']);
  });

  it('refuses an environment that is not active with 409 environment_not_active, asking nothing', async () => {
    const { agent, siteId, prodId } = await activeSite();
    const staging = (await built.api('POST', `/api/sites/${siteId}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: prodId })).json();
    const res = await built.api('POST', `/api/environments/${staging.environment_id}/magic-login`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('environment_not_active');
    expect(agent.received.some((m) => m.type === 'node_query')).toBe(false);
    const unknown = await built.api('POST', '/api/environments/00000000-0000-4000-8000-000000000000/magic-login');
    expect(unknown.statusCode).toBe(404);
  });

  it('answers 409 node_unavailable when the node\'s agent is gone', async () => {
    const { agent, prodId } = await activeSite();
    agent.close();
    await waitFor(() => !built.ctx.sessions.isConnected(agent.nodeId), 'agent gone');
    const res = await built.api('POST', `/api/environments/${prodId}/magic-login`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('node_unavailable');
  });

  it('answers 502 node_error with the node\'s message, and 504 node_timeout when the node ran out of time', async () => {
    const { agent, prodId } = await activeSite();
    const failed = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: false, code: 'failed', message: 'WordPress answered without a token: the pressluft-magic-login must-use plugin is missing in this environment' });
    expect((await failed).statusCode).toBe(502);
    expect((await failed).json()).toEqual({ code: 'node_error', message: 'WordPress answered without a token: the pressluft-magic-login must-use plugin is missing in this environment' });
    const slow = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: false, code: 'timeout', message: 'no answer from the PHP-FPM pool within 10000 ms' });
    expect((await slow).statusCode).toBe(504);
    expect((await slow).json().code).toBe('node_timeout');
  });

  it('answers 502 at once when the agent\'s answer is malformed', async () => {
    const { agent, prodId } = await activeSite();
    const started = Date.now();
    const pending = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: true, answer: { kind: 'magic_login', token: 'short', expires_at: '2026-12-07T13:01:00.000Z' } });
    const res = await pending;
    expect(res.statusCode).toBe(502);
    expect(res.json()).toEqual({ code: 'node_error', message: 'the agent answered with an invalid result' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('writes one magic_login audit row per call with its status, and never the token', async () => {
    const { agent, prodId } = await activeSite();
    const ok = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: true, answer: { kind: 'magic_login', token: TOKEN, expires_at: '2026-12-07T13:01:00.000Z' } });
    await ok;
    const failed = built.api('POST', `/api/environments/${prodId}/magic-login`);
    await answerNext(agent, { ok: false, code: 'failed', message: 'broken' });
    await failed;
    agent.close();
    await waitFor(() => !built.ctx.sessions.isConnected(agent.nodeId), 'agent gone');
    await built.api('POST', `/api/environments/${prodId}/magic-login`);
    const rows = await waitFor(async () => ((await auditRows()).length === 3 ? auditRows() : undefined), 'three audit rows');
    expect(rows.map((r) => [r.actor, r.target, r.status_code])).toEqual([
      ['admin@pressluft.test', prodId, 200],
      ['admin@pressluft.test', prodId, 502],
      ['admin@pressluft.test', prodId, 409],
    ]);
    const all = JSON.stringify(await built.ctx.db.selectFrom('audit_logs').selectAll().execute());
    expect(all).not.toContain(TOKEN);
  });
});
