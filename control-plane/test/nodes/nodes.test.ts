import { afterEach, describe, expect, it } from 'vitest';
import { SelfNodePortConflictError } from '../../src/index.ts';
import { sha256 } from '../../src/secrets/secret-box.ts';
import { build, countRows, type Built } from '../support/build.ts';
import { FakeAgent } from '../support/fake-agent.ts';

let built: Built;
afterEach(async () => built?.close());

const register = (token: string) => built.cp.app.inject({ method: 'POST', url: '/api/nodes/register', payload: { token, hostname: 'web-1', agent_version: '0.1.0' } });

describe('nodes', () => {
  it('creates a pending node with a single-use token that becomes a working, hashed credential', async () => {
    built = await build();
    const res = await built.api('POST', '/api/nodes', { name: 'web-1' });
    expect(res.statusCode).toBe(201);
    const { node, registration_token, expires_at } = res.json();
    expect(node).toMatchObject({ name: 'web-1', status: 'pending', is_local: false, agent_connected: false });
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const stored = await built.ctx.db.selectFrom('node_registration_tokens').selectAll().execute();
    expect(stored[0].token_hash).toBe(sha256(registration_token));

    const first = await register(registration_token);
    expect(first.statusCode).toBe(200);
    const { node_id, credential } = first.json();
    expect(node_id).toBe(node.id);
    expect(Buffer.from(credential, 'base64url')).toHaveLength(32);
    const cred = await built.ctx.db.selectFrom('agent_credentials').selectAll().executeTakeFirstOrThrow();
    expect(cred.credential_hash).toBe(sha256(credential));

    const reused = await register(registration_token);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('unauthorized');

    const agent = await FakeAgent.connect(built.cp.url, node_id, credential);
    agent.hello();
    await agent.next('hello_ack');
    expect((await built.api('GET', `/api/nodes/${node_id}`)).json()).toMatchObject({ agent_connected: true, status: 'pending' });
    agent.close();
  });

  it('refuses an expired or unknown registration token with 401', async () => {
    built = await build();
    const { registration_token } = (await built.api('POST', '/api/nodes', { name: 'web-1' })).json();
    await built.ctx.db.updateTable('node_registration_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
    expect((await register(registration_token)).statusCode).toBe(401);
    expect((await register('x'.repeat(40))).statusCode).toBe(401);
    expect(await countRows(built.ctx, 'nodes')).toBe(1);
  });

  it('keeps one self-node: ensureSelfNode reuses it, issues tokens only on request', async () => {
    built = await build();
    const a = await built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8080, needToken: true });
    const b = await built.cp.ensureSelfNode({ hostname: 'h2', httpPort: 8081, needToken: false });
    expect(b.nodeId).toBe(a.nodeId);
    expect(a.registrationToken).toBeTruthy();
    expect(b.registrationToken).toBeNull();
    const nodes = (await built.api('GET', '/api/nodes')).json();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ name: 'self', is_local: true, hostname: 'h2', http_port: 8081 });
  });

  it('refuses to change the self-node HTTP port while it has environments', async () => {
    built = await build();
    await built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8080, needToken: false });
    await built.api('POST', '/api/sites', { name: 'A', slug: 'a' });
    await expect(built.cp.ensureSelfNode({ hostname: 'h', httpPort: 9090, needToken: false })).rejects.toBeInstanceOf(SelfNodePortConflictError);
    await expect(built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8080, needToken: false })).resolves.toBeTruthy();
  });

  it('supersedes a waiting node_provision when the self-node port changes, so the new port gets provisioned', async () => {
    built = await build();
    const { nodeId } = await built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8080, needToken: false });
    const old = (await built.api('POST', `/api/nodes/${nodeId}/provision`)).json().job_id;
    await built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8081, needToken: false });
    expect((await built.api('GET', `/api/jobs/${old}`)).json()).toMatchObject({ status: 'cancelled', error_code: 'JOB_SUPERSEDED' });
    const fresh = (await built.api('POST', `/api/nodes/${nodeId}/provision`)).json().job_id;
    expect(fresh).not.toBe(old);
    const row = await built.ctx.db.selectFrom('jobs').select('payload').where('id', '=', fresh).executeTakeFirstOrThrow();
    expect(JSON.parse(row.payload).vars.pressluft_http_port).toBe(8081);
  });

  it('returns the waiting node_provision job instead of queueing a second one', async () => {
    built = await build();
    const { nodeId } = await built.cp.ensureSelfNode({ hostname: 'h', httpPort: 8080, needToken: false });
    const a = await built.api('POST', `/api/nodes/${nodeId}/provision`);
    const b = await built.api('POST', `/api/nodes/${nodeId}/provision`);
    expect(a.statusCode).toBe(202);
    expect(b.json().job_id).toBe(a.json().job_id);
    expect(await countRows(built.ctx, 'jobs')).toBe(1);
  });
});
