import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { build, waitFor, type Built } from '../support/build.ts';
import { connectedAgent, failResult, FakeAgent, okResult, reachability, registerSelfNode, markProvisioned, step } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

async function setup(config: NonNullable<Parameters<typeof build>[0]>['config'] = {}): Promise<FakeAgent> {
  built = await build({ config });
  const agent = await connectedAgent(built);
  agents.push(agent);
  return agent;
}

async function site(slug = 'acme'): Promise<{ site_id: string; job_id: string; environment_id: string }> {
  const res = await built.api('POST', '/api/sites', { name: 'Acme', slug });
  expect(res.statusCode).toBe(202);
  return res.json();
}

const job = async (id: string) => (await built.api('GET', `/api/jobs/${id}`)).json();
const siteStatus = async (id: string) => (await built.api('GET', `/api/sites/${id}`)).json().status as string;

describe('job lifecycle', () => {
  it('keeps a job queued with a waiting reason while its node has no agent, and dispatches it on hello', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    await markProvisioned(built, nodeId);
    const { job_id } = await site();
    expect(await job(job_id)).toMatchObject({ status: 'queued', waiting_reason: expect.stringMatching(/Waiting for the agent/) });
    const agent = await FakeAgent.connect(built.cp.url, nodeId, credential);
    agents.push(agent);
    agent.hello();
    const dispatch = await agent.next('job_dispatch');
    expect(dispatch).toMatchObject({ job_id, attempt: 1, job_type: 'site_create', playbook: 'site-create.yml' });
    expect(await job(job_id)).toMatchObject({ status: 'running', attempt: 1, waiting_reason: null });
  });

  it('re-queues a retryable failure with backoff, keeping the site creating until the last attempt fails', async () => {
    const agent = await setup({ maxAttempts: 2, backoffSeconds: [0.6] });
    const { job_id, site_id, environment_id } = await site();
    const first = await agent.next('job_dispatch');
    const failedAt = Date.now();
    agent.event(job_id, 1, 1, failResult('ANSIBLE_HOST_FAILED'));
    await agent.next('event_ack', (m) => m.job_id === job_id && m.seq === 1);
    const requeued = await job(job_id);
    expect(requeued).toMatchObject({ status: 'queued', attempt: 1, error_code: 'ANSIBLE_HOST_FAILED', failed_step: 'Install WordPress' });
    expect(Date.parse(requeued.run_after)).toBeGreaterThanOrEqual(failedAt + 500);
    expect(requeued.waiting_reason).toMatch(/retrying/);
    expect(await siteStatus(site_id)).toBe('creating');
    expect((await built.api('GET', `/api/environments/${environment_id}`)).json().status).toBe('creating');

    const second = await agent.next('job_dispatch', (m) => m.attempt === 2);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(550);
    expect(second.secrets).toEqual(first.secrets);
    agent.event(job_id, 2, 1, failResult('ANSIBLE_HOST_FAILED'));
    await waitFor(async () => (await job(job_id)).status === 'failed', 'job failed');
    expect(await siteStatus(site_id)).toBe('failed');
    expect((await built.api('GET', `/api/environments/${environment_id}`)).json().status).toBe('failed');
    const states = (await built.api('GET', `/api/jobs/${job_id}/events`)).json().filter((e: { type: string }) => e.type === 'state').map((e: { data: { status: string } }) => e.data.status);
    expect(states).toEqual(['queued', 'running', 'queued', 'running', 'failed']);
  });

  it('fails a non-retryable error at once, maps an unknown code to ANSIBLE_UNKNOWN_EXIT and stores the output tail', async () => {
    const agent = await setup();
    const { job_id, site_id } = await site();
    await agent.next('job_dispatch');
    agent.event(job_id, 1, 1, failResult('SOMETHING_ODD', 'Install WordPress', 'x'.repeat(7000)));
    await waitFor(async () => (await job(job_id)).status === 'failed', 'job failed');
    expect(await job(job_id)).toMatchObject({ error_code: 'ANSIBLE_UNKNOWN_EXIT', attempt: 1, failed_step: 'Install WordPress' });
    expect((await job(job_id)).output_tail).toHaveLength(7000);
    expect(await siteStatus(site_id)).toBe('failed');
  });

  it('resets a failed site to creating and makes it active again only after the re-run succeeds', async () => {
    const agent = await setup();
    const { job_id, site_id } = await site();
    await agent.next('job_dispatch');
    agent.event(job_id, 1, 1, failResult('ANSIBLE_SYNTAX_ERROR'));
    await waitFor(async () => (await siteStatus(site_id)) === 'failed', 'site failed');
    const reset = await built.api('POST', `/api/sites/${site_id}/reset`);
    expect(reset.statusCode).toBe(202);
    expect(await siteStatus(site_id)).toBe('creating');
    const dispatch = await agent.next('job_dispatch', (m) => m.job_id === reset.json().job_id);
    expect(await siteStatus(site_id)).toBe('creating');
    agent.event(dispatch.job_id, 1, 1, reachability(dispatch.reachability!));
    agent.event(dispatch.job_id, 1, 2, okResult());
    await waitFor(async () => (await siteStatus(site_id)) === 'active', 'site active');
  });

  it('cancels a queued job at once and leaves its site failed, never active', async () => {
    built = await build();
    await registerSelfNode(built);
    const { job_id, site_id } = await site();
    const res = await built.api('POST', `/api/jobs/${job_id}/cancel`);
    expect(res.statusCode).toBe(202);
    expect(await job(job_id)).toMatchObject({ status: 'cancelled', error_code: 'JOB_CANCELLED' });
    expect(await siteStatus(site_id)).toBe('failed');
    expect((await built.api('POST', `/api/jobs/${job_id}/cancel`)).json().code).toBe('invalid_state');
  });

  it('asks the agent to stop a running job and ends it cancelled when the agent reports JOB_CANCELLED', async () => {
    const agent = await setup();
    const { job_id, site_id } = await site();
    await agent.next('job_dispatch');
    agent.event(job_id, 1, 1, step('Create the Linux user', 'started'));
    await agent.next('event_ack', (m) => m.seq === 1);
    await built.api('POST', `/api/jobs/${job_id}/cancel`);
    await agent.next('job_cancel', (m) => m.job_id === job_id && m.attempt === 1);
    expect((await job(job_id)).status).toBe('running');
    agent.event(job_id, 1, 2, failResult('JOB_CANCELLED'));
    await waitFor(async () => (await job(job_id)).status === 'cancelled', 'job cancelled');
    expect(await siteStatus(site_id)).toBe('failed');
  });

  it('does not let a success that races a cancel make the site active', async () => {
    const agent = await setup();
    const { job_id, site_id } = await site();
    const dispatch = await agent.next('job_dispatch');
    await built.api('POST', `/api/jobs/${job_id}/cancel`);
    agent.event(job_id, 1, 1, reachability(dispatch.reachability!));
    agent.event(job_id, 1, 2, okResult());
    await waitFor(async () => (await job(job_id)).status === 'cancelled', 'job cancelled');
    expect(await siteStatus(site_id)).toBe('failed');
  });

  it('fails the attempt with AGENT_LOST when the lease expires and retries it', async () => {
    const agent = await setup({ leaseMs: 600, backoffSeconds: [0.1] });
    const { job_id, site_id } = await site();
    await agent.next('job_dispatch');
    // The agent goes silent: close it so nothing extends the lease.
    agent.close();
    await waitFor(async () => (await job(job_id)).error_code === 'AGENT_LOST', 'AGENT_LOST', 15_000);
    expect(await job(job_id)).toMatchObject({ status: 'queued', attempt: 1 });
    expect(await siteStatus(site_id)).toBe('creating');
  });

  it('ends a cancel-requested job whose lease expires as cancelled, not retried', async () => {
    const agent = await setup({ leaseMs: 600 });
    const { job_id, site_id } = await site();
    await agent.next('job_dispatch');
    agent.close();
    await built.api('POST', `/api/jobs/${job_id}/cancel`);
    await waitFor(async () => (await job(job_id)).status === 'cancelled', 'job cancelled', 15_000);
    expect(await siteStatus(site_id)).toBe('failed');
  });

  it('repeats a cancel requested while the agent was away once it says hello again', async () => {
    const agent = await setup();
    const { job_id } = await site();
    await agent.next('job_dispatch');
    agent.close();
    await agent.closed;
    await waitFor(async () => !(await built.api('GET', '/api/nodes')).json()[0].agent_connected, 'agent gone');
    await built.api('POST', `/api/jobs/${job_id}/cancel`);
    const { nodeId } = await built.cp.ensureSelfNode({ hostname: 'test-host', httpPort: 8080, needToken: false });
    const back = await FakeAgent.connect(built.cp.url, nodeId, await reRegister(nodeId));
    agents.push(back);
    back.hello([{ job_id, attempt: 1, running: true }]);
    await back.next('job_cancel', (m) => m.job_id === job_id && m.attempt === 1);
    back.event(job_id, 1, 1, failResult('JOB_CANCELLED'));
    await waitFor(async () => (await job(job_id)).status === 'cancelled', 'cancelled');
  });

  it('extends the lease while the agent keeps talking', async () => {
    const agent = await setup({ leaseMs: 800 });
    const { job_id } = await site();
    await agent.next('job_dispatch');
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      agent.send({ type: 'heartbeat', at: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await job(job_id)).toMatchObject({ status: 'running', attempt: 1, error_code: null });
  });

  it('deletes an environment: env_delete success makes it deleted, hidden from lists, its slug free again', async () => {
    const agent = await setup();
    const created = await site();
    const d1 = await agent.next('job_dispatch');
    agent.event(d1.job_id, 1, 1, reachability(d1.reachability!));
    agent.event(d1.job_id, 1, 2, okResult());
    await waitFor(async () => (await siteStatus(created.site_id)) === 'active', 'site active');
    const env = await built.api('POST', `/api/sites/${created.site_id}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: created.environment_id });
    expect(env.statusCode).toBe(202);
    const d2 = await agent.next('job_dispatch', (m) => m.job_id === env.json().job_id);
    expect(d2.vars).toMatchObject({ pressluft_source_env_id: created.environment_id, pressluft_env_id: env.json().environment_id });
    expect(Object.keys(d2.secrets)).toEqual(['pressluft_secret_db_password']);
    agent.event(d2.job_id, 1, 1, reachability(d2.reachability!));
    agent.event(d2.job_id, 1, 2, okResult());
    await waitFor(async () => (await built.api('GET', `/api/environments/${env.json().environment_id}`)).json().status === 'active', 'env active');
    const del = await built.api('DELETE', `/api/environments/${env.json().environment_id}`);
    expect(del.statusCode).toBe(202);
    const d3 = await agent.next('job_dispatch', (m) => m.job_id === del.json().job_id);
    expect(d3).toMatchObject({ job_type: 'env_delete', reachability: null, secrets: {} });
    agent.event(d3.job_id, 1, 1, okResult());
    await waitFor(async () => (await built.api('GET', `/api/environments/${env.json().environment_id}`)).json().status === 'deleted', 'env deleted');
    expect((await built.api('GET', `/api/sites/${created.site_id}/environments`)).json()).toHaveLength(1);
    const again = await built.api('POST', `/api/sites/${created.site_id}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: created.environment_id });
    expect(again.statusCode).toBe(202);
  });
});

describe('restart', () => {
  it('recovers a running job after a control-plane restart: it completes when the agent reconnects', async () => {
    const agent = await setup();
    const { job_id, site_id } = await site();
    const dispatch = await agent.next('job_dispatch');
    agent.event(job_id, 1, 1, step('Create the Linux user'));
    await agent.next('event_ack', (m) => m.seq === 1);
    const { stateDir } = built;
    await built.close();
    await agent.closed;

    built = await build({ stateDir });
    expect(await job(job_id)).toMatchObject({ status: 'running', attempt: 1 });
    const { nodeId } = await built.cp.ensureSelfNode({ hostname: 'test-host', httpPort: 8080, needToken: false });
    const credential = await reRegister(nodeId);
    const again = await FakeAgent.connect(built.cp.url, nodeId, credential);
    agents.push(again);
    again.hello([{ job_id, attempt: 1, running: true }]);
    const ack = await again.next('hello_ack');
    expect(ack.abandon).toEqual([]);
    again.event(job_id, 1, 1, step('Create the Linux user')); // a replay: deduplicated
    again.event(job_id, 1, 2, reachability(dispatch.reachability!));
    again.event(job_id, 1, 3, okResult());
    await waitFor(async () => (await job(job_id)).status === 'succeeded', 'job succeeded');
    expect(await siteStatus(site_id)).toBe('active');
    const steps = (await built.api('GET', `/api/jobs/${job_id}/events`)).json().filter((e: { type: string }) => e.type === 'step');
    expect(steps).toHaveLength(1);
  });

  it('gives running jobs a full lease after a restart, even when theirs ran out while the control plane was down', async () => {
    const agent = await setup({ leaseMs: 1500 });
    const { job_id } = await site();
    await agent.next('job_dispatch');
    const { stateDir } = built;
    await built.close();
    const db = await openDatabase(stateDir);
    await db.updateTable('jobs').set({ lease_expires_at: new Date(Date.now() - 60_000).toISOString() }).execute();
    await db.destroy();
    built = await build({ stateDir, config: { leaseMs: 1500 } });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await job(job_id)).toMatchObject({ status: 'running', attempt: 1 });
    // Nobody comes back: the granted lease runs out and the attempt is lost.
    await waitFor(async () => (await job(job_id)).error_code === 'AGENT_LOST', 'AGENT_LOST');
  });

  it('fails a recovered running job with AGENT_LOST when the reconnecting agent no longer knows it', async () => {
    const agent = await setup();
    const { job_id } = await site();
    await agent.next('job_dispatch');
    const { stateDir } = built;
    await built.close();
    built = await build({ stateDir });
    const { nodeId } = await built.cp.ensureSelfNode({ hostname: 'test-host', httpPort: 8080, needToken: false });
    const again = await FakeAgent.connect(built.cp.url, nodeId, await reRegister(nodeId));
    agents.push(again);
    again.hello([]);
    await again.next('hello_ack');
    await waitFor(async () => (await job(job_id)).error_code === 'AGENT_LOST' || (await job(job_id)).attempt === 2, 'AGENT_LOST');
    // Retried: the same agent gets attempt 2 after the backoff.
    await again.next('job_dispatch', (m) => m.job_id === job_id && m.attempt === 2);
  });
});

/** A fresh credential for the node (the fake agent keeps none across restarts). */
async function reRegister(nodeId: string): Promise<string> {
  const { registrationToken } = await built.cp.ensureSelfNode({ hostname: 'test-host', httpPort: 8080, needToken: true });
  const res = await built.cp.app.inject({ method: 'POST', url: '/api/nodes/register', payload: { token: registrationToken, hostname: 'h', agent_version: '1' } });
  expect(res.json().node_id).toBe(nodeId);
  return res.json().credential;
}
