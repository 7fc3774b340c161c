import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '@pressluft/shared';
import { build, countRows, waitFor, type Built } from '../support/build.ts';
import { connectedAgent, failResult, FakeAgent, markProvisioned, okResult, reachability, registerSelfNode, step } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

async function connect(nodeId: string, credential: string): Promise<FakeAgent> {
  const agent = await FakeAgent.connect(built.cp.url, nodeId, credential);
  agents.push(agent);
  return agent;
}

const job = async (id: string) => (await built.api('GET', `/api/jobs/${id}`)).json();
const node = async (id: string) => (await built.api('GET', `/api/nodes/${id}`)).json();

describe('agent connection', () => {
  it('closes a connection with a wrong credential with 4001 and writes nothing', async () => {
    built = await build();
    const { nodeId } = await registerSelfNode(built);
    const agent = await connect(nodeId, 'not-the-credential');
    agent.hello();
    expect(await agent.closed).toBe(CLOSE_CODES.BAD_CREDENTIAL);
    expect((await node(nodeId)).last_seen_at).toBeNull();
    const anonymous = new WebSocket(`${built.cp.url.replace('http', 'ws')}/api/agent/ws`);
    expect(await new Promise((r) => anonymous.on('close', r))).toBe(CLOSE_CODES.BAD_CREDENTIAL);
  });

  it('closes with 4003 on a protocol version mismatch', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello([], PROTOCOL_VERSION + 1);
    expect(await agent.closed).toBe(CLOSE_CODES.PROTOCOL_MISMATCH);
    expect((await node(nodeId)).last_seen_at).toBeNull();
  });

  it('answers garbage with error messages and closes with 4005 after five', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello();
    await agent.next('hello_ack');
    for (const garbage of ['not json', '{"type":"teleport"}', '[]', '{"type":"job_event","job_id":"x"}']) agent.send(garbage);
    await waitFor(() => agent.received.filter((m) => m.type === 'error').length === 4, 'four errors');
    expect(agent.closeCode).toBeNull();
    agent.send('{');
    expect(await agent.closed).toBe(CLOSE_CODES.TOO_MANY_VIOLATIONS);
  });

  it('closes with 1009 on a message over MAX_MESSAGE_BYTES', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello();
    await agent.next('hello_ack');
    agent.send('x'.repeat(MAX_MESSAGE_BYTES + 10));
    expect(await agent.closed).toBe(1009);
  });

  it('closes with 4004 when the first message is not a hello, or no hello comes in time', async () => {
    built = await build({ config: { helloTimeoutMs: 300 } });
    const { nodeId, credential } = await registerSelfNode(built);
    const first = await connect(nodeId, credential);
    first.send({ type: 'heartbeat', at: new Date().toISOString() });
    expect(await first.closed).toBe(CLOSE_CODES.HELLO_REQUIRED);
    const silent = await connect(nodeId, credential);
    expect(await silent.closed).toBe(CLOSE_CODES.HELLO_REQUIRED);
  });

  it('replaces an older connection with a newer one (4002) without the old cleanup unregistering the new one', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    await markProvisioned(built, nodeId);
    const older = await connect(nodeId, credential);
    older.hello();
    await older.next('hello_ack');
    const newer = await connect(nodeId, credential);
    newer.hello();
    await newer.next('hello_ack');
    expect(await older.closed).toBe(CLOSE_CODES.SUPERSEDED);
    // After the old socket's close handler ran, the node must still count as connected.
    await new Promise((r) => setTimeout(r, 100));
    expect((await node(nodeId)).agent_connected).toBe(true);
    const { job_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const dispatch = await newer.next('job_dispatch');
    expect(dispatch.job_id).toBe(job_id);
  });

  it('records the hello facts and marks a node unreachable after missed heartbeats, active again on hello', async () => {
    built = await build({ config: { heartbeatMs: 200 } });
    const { nodeId, credential } = await registerSelfNode(built);
    await markProvisioned(built, nodeId);
    const agent = await connect(nodeId, credential);
    agent.hello();
    const ack = await agent.next('hello_ack');
    expect(ack.heartbeat_interval_ms).toBe(200);
    expect(await node(nodeId)).toMatchObject({ hostname: 'fake-host', agent_version: '0.1.0-test', agent_connected: true, status: 'active' });
    // No heartbeats from here on.
    await waitFor(async () => (await node(nodeId)).status === 'unreachable', 'unreachable');
    const back = await connect(nodeId, credential);
    back.hello();
    await back.next('hello_ack');
    expect((await node(nodeId)).status).toBe('active');
  });

  it('abandons jobs the agent reports that the control plane no longer wants', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello([{ job_id: 'c0ffee00-0000-4000-8000-000000000000', attempt: 2, running: true }]);
    const ack = await agent.next('hello_ack');
    expect(ack.abandon).toEqual([{ job_id: 'c0ffee00-0000-4000-8000-000000000000', attempt: 2 }]);
  });
});

describe('job events over the link', () => {
  async function running(): Promise<{ agent: FakeAgent; jobId: string; siteId: string; dispatch: Awaited<ReturnType<FakeAgent['next']>> & { type: 'job_dispatch' } }> {
    built = await build();
    const agent = await connectedAgent(built);
    agents.push(agent);
    const { job_id, site_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const dispatch = await agent.next('job_dispatch');
    return { agent, jobId: job_id, siteId: site_id, dispatch };
  }

  it('dispatches vars, secrets, reachability expectation and timeout, and never exposes the secrets elsewhere', async () => {
    const { agent, jobId, dispatch } = await running();
    expect(dispatch.timeout_ms).toBeGreaterThan(0);
    expect(dispatch.reachability).toEqual({
      environment_id: dispatch.vars.pressluft_env_id, preview_url: dispatch.vars.pressluft_preview_url,
      host: dispatch.vars.pressluft_preview_host, http_port: 8080,
    });
    const secrets = Object.values(dispatch.secrets) as string[];
    expect(secrets).toHaveLength(2);
    agent.event(jobId, 1, 1, step('Create the database'));
    agent.event(jobId, 1, 2, reachability(dispatch.reachability!));
    agent.event(jobId, 1, 3, okResult());
    await waitFor(async () => (await job(jobId)).status === 'succeeded', 'succeeded');
    const everything = [
      (await built.api('GET', `/api/jobs/${jobId}`)).body, (await built.api('GET', `/api/jobs/${jobId}/events`)).body,
      (await built.api('GET', '/api/sites')).body, (await built.api('GET', '/api/jobs')).body,
      JSON.stringify(await built.ctx.db.selectFrom('jobs').selectAll().execute()),
      JSON.stringify(await built.ctx.db.selectFrom('environment_secrets').selectAll().execute()),
      JSON.stringify(await built.ctx.db.selectFrom('audit_logs').selectAll().execute()),
    ].join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('stores each agent event once, acks cumulatively and drops events of a stale attempt', async () => {
    const { agent, jobId } = await running();
    agent.event(jobId, 1, 1, step('One'));
    agent.event(jobId, 1, 1, step('One'));
    agent.event(jobId, 1, 3, step('Three'));
    await agent.next('event_ack', (m) => m.seq === 1);
    const acks = () => agent.received.filter((m) => m.type === 'event_ack').map((m) => (m as { seq: number }).seq);
    await waitFor(() => acks().length === 3, 'three acks');
    expect(acks()).toEqual([1, 1, 1]);
    agent.event(jobId, 1, 2, step('Two'));
    await agent.next('event_ack', (m) => m.seq === 3);
    agent.event(jobId, 7, 1, step('Ghost'));
    await agent.next('event_ack', (m) => m.attempt === 7 && m.seq === 1);
    const steps = (await built.api('GET', `/api/jobs/${jobId}/events`)).json().filter((e: { type: string }) => e.type === 'step');
    expect(steps.map((e: { data: { name: string } }) => e.data.name)).toEqual(['One', 'Three', 'Two']);
    const seqs = (await built.api('GET', `/api/jobs/${jobId}/events`)).json().map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
  });

  it('fails with REACHABILITY_MISMATCH when the report is for another environment or missing', async () => {
    const { agent, jobId, siteId, dispatch } = await running();
    agent.event(jobId, 1, 1, reachability({ ...dispatch.reachability!, host: 'deadbeef.localhost' }));
    agent.event(jobId, 1, 2, okResult());
    await waitFor(async () => (await job(jobId)).status === 'failed', 'failed');
    expect((await job(jobId)).error_code).toBe('REACHABILITY_MISMATCH');
    expect((await built.api('GET', `/api/sites/${siteId}`)).json().status).toBe('failed');
  });

  it('fails a success without any reachability report with REACHABILITY_MISMATCH', async () => {
    const { agent, jobId } = await running();
    agent.event(jobId, 1, 1, okResult());
    await waitFor(async () => (await job(jobId)).status === 'failed', 'failed');
    expect((await job(jobId)).error_code).toBe('REACHABILITY_MISMATCH');
  });

  it('retries with RUNTIME_UNREACHABLE when the report says the runtime did not answer 200', async () => {
    const { agent, jobId, siteId, dispatch } = await running();
    agent.event(jobId, 1, 1, reachability(dispatch.reachability!, false, 502));
    agent.event(jobId, 1, 2, okResult());
    await waitFor(async () => (await job(jobId)).error_code === 'RUNTIME_UNREACHABLE', 'RUNTIME_UNREACHABLE');
    expect((await built.api('GET', `/api/sites/${siteId}`)).json().status).toBe('creating');
    await agent.next('job_dispatch', (m) => m.attempt === 2);
  });

  it('fails the attempt with AGENT_REJECTED when the agent rejects the job', async () => {
    const { agent, jobId } = await running();
    agent.send({ type: 'job_rejected', job_id: jobId, attempt: 1, reason: 'busy' });
    await waitFor(async () => (await job(jobId)).status === 'failed', 'failed');
    expect(await job(jobId)).toMatchObject({ error_code: 'AGENT_REJECTED', error_message: 'busy' });
    expect(await countRows(built.ctx, 'jobs')).toBe(1);
  });

  it('provisions a node: provisioning while the job runs, active after success', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello();
    await agent.next('hello_ack');
    expect((await node(nodeId)).status).toBe('pending');
    const res = await built.api('POST', `/api/nodes/${nodeId}/provision`);
    expect(res.statusCode).toBe(202);
    expect((await node(nodeId)).status).toBe('provisioning');
    const dispatch = await agent.next('job_dispatch');
    expect(dispatch).toMatchObject({ job_type: 'node_provision', vars: { pressluft_http_port: 8080, pressluft_wordpress_source: 'debian', pressluft_wordpress_tarball: '' }, reachability: null });
    agent.event(dispatch.job_id, 1, 1, okResult());
    await waitFor(async () => (await node(nodeId)).status === 'active', 'active');
  });

  it('marks a node failed when provisioning fails for good', async () => {
    built = await build();
    const { nodeId, credential } = await registerSelfNode(built);
    const agent = await connect(nodeId, credential);
    agent.hello();
    await agent.next('hello_ack');
    await built.api('POST', `/api/nodes/${nodeId}/provision`);
    const dispatch = await agent.next('job_dispatch');
    agent.event(dispatch.job_id, 1, 1, failResult('ANSIBLE_SYNTAX_ERROR'));
    await waitFor(async () => (await node(nodeId)).status === 'failed', 'failed');
    expect((await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json().code).toBe('node_unavailable');
  });
});
