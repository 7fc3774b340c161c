import { afterEach, describe, expect, it } from 'vitest';
import type { NodeQueryRequest } from '@pressluft/shared';
import { askNode } from '../../src/agent/ask-node.ts';
import { build, waitFor, type Built } from '../support/build.ts';
import { connectedAgent, type FakeAgent } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

const ENV = '0f1e2d3c-4b5a-4697-8899-aabbccddeeff';
const query = { kind: 'magic_login', environment_id: ENV, address: 'http://0f1e2d3c.localhost:8080' } as const;
const TOKEN = 'T'.repeat(43);
const answer = { kind: 'magic_login', token: TOKEN, expires_at: '2026-12-07T13:00:00.000Z' } as const;

async function setup(): Promise<FakeAgent> {
  built = await build();
  const agent = await connectedAgent(built);
  agents.push(agent);
  return agent;
}

describe('asking a node', () => {
  it('sends one node_query with a request id and the deadline, and resolves with the typed answer', async () => {
    const agent = await setup();
    const pending = askNode(built.ctx.sessions, agent.nodeId, query, 5000);
    const request = await agent.next('node_query');
    expect(request).toMatchObject({ deadline_ms: 5000, query });
    expect(request.request_id).toMatch(/^[0-9a-f-]{36}$/);
    agent.send({ type: 'node_query_result', request_id: request.request_id, result: { ok: true, answer } });
    expect(await pending).toEqual({ ok: true, answer });
  });

  it('answers node_unavailable at once when the node has no agent connected', async () => {
    built = await build();
    const started = Date.now();
    expect(await askNode(built.ctx.sessions, '00000000-0000-4000-8000-000000000000', query, 5000)).toMatchObject({ ok: false, code: 'node_unavailable' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives node_timeout when the agent stays silent past the deadline, and drops the late answer', async () => {
    const agent = await setup();
    const started = Date.now();
    const outcome = await askNode(built.ctx.sessions, agent.nodeId, query, 300);
    const waited = Date.now() - started;
    expect(outcome).toMatchObject({ ok: false, code: 'node_timeout' });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2000);
    const request = await agent.next('node_query');
    agent.send({ type: 'node_query_result', request_id: request.request_id, result: { ok: true, answer } });
    // The late answer is no violation: the connection stays and the next query still works.
    const next = askNode(built.ctx.sessions, agent.nodeId, query, 5000);
    const second = await agent.next('node_query', (m) => m.request_id !== request.request_id);
    agent.send({ type: 'node_query_result', request_id: second.request_id, result: { ok: true, answer } });
    expect(await next).toEqual({ ok: true, answer });
    expect(built.ctx.sessions.get(agent.nodeId)?.violations).toBe(0);
    expect(built.ctx.sessions.get(agent.nodeId)?.pendingQueries.size).toBe(0);
  });

  it('gives node_unavailable as soon as the connection drops, without waiting for the deadline', async () => {
    const agent = await setup();
    const started = Date.now();
    const pending = askNode(built.ctx.sessions, agent.nodeId, query, 10_000);
    await agent.next('node_query');
    agent.close();
    expect(await pending).toMatchObject({ ok: false, code: 'node_unavailable' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('maps the node\'s own failures: timeout to node_timeout, anything else to node_error with its message', async () => {
    const agent = await setup();
    const answerWith = async (result: unknown) => {
      const pending = askNode(built.ctx.sessions, agent.nodeId, query, 5000);
      const from = agent.received.length;
      const request: NodeQueryRequest = await agent.next('node_query', () => true, 5000, from);
      agent.send({ type: 'node_query_result', request_id: request.request_id, result });
      return pending;
    };
    expect(await answerWith({ ok: false, code: 'timeout', message: 'no answer from the PHP-FPM pool within 5000 ms' })).toEqual({ ok: false, code: 'node_timeout', message: 'no answer from the PHP-FPM pool within 5000 ms' });
    expect(await answerWith({ ok: false, code: 'failed', message: 'the mu-plugin is missing' })).toEqual({ ok: false, code: 'node_error', message: 'the mu-plugin is missing' });
  });

  it('keeps concurrent queries apart by request id', async () => {
    const agent = await setup();
    const first = askNode(built.ctx.sessions, agent.nodeId, query, 5000);
    const second = askNode(built.ctx.sessions, agent.nodeId, query, 5000);
    await waitFor(() => agent.received.filter((m) => m.type === 'node_query').length === 2, 'two queries');
    const [a, b] = agent.received.filter((m): m is NodeQueryRequest => m.type === 'node_query');
    expect(a.request_id).not.toBe(b.request_id);
    agent.send({ type: 'node_query_result', request_id: b.request_id, result: { ok: false, code: 'failed', message: 'second' } });
    agent.send({ type: 'node_query_result', request_id: a.request_id, result: { ok: true, answer } });
    expect(await first).toEqual({ ok: true, answer });
    expect(await second).toMatchObject({ ok: false, message: 'second' });
  });
});
