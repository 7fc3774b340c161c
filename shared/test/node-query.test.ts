import { describe, expect, it } from 'vitest';
import { AgentMessage, ControlPlaneMessage, ERROR_CODES } from '../src/index.ts';

const ID = '0f1e2d3c-4b5a-4697-8899-aabbccddeeff';
const TOKEN = 'a'.repeat(43);
const query = { kind: 'magic_login', environment_id: ID, address: 'http://0f1e2d3c.localhost:8080' };

describe('the node query message pair', () => {
  it('carries a request id, a relative deadline and a typed query to the agent', () => {
    const parsed = ControlPlaneMessage.parse({ type: 'node_query', request_id: 'r1', deadline_ms: 10_000, query });
    expect(parsed).toMatchObject({ type: 'node_query', request_id: 'r1', deadline_ms: 10_000, query });
  });

  it('refuses a query for something that is not an environment id, an unknown kind or a deadline past a minute', () => {
    for (const bad of [
      { query: { ...query, environment_id: '../../etc' } },
      { query: { ...query, kind: 'shell' } },
      { query: { ...query, address: 'not a url' } },
      { deadline_ms: 600_000 },
      { deadline_ms: 0 },
    ]) {
      expect(ControlPlaneMessage.safeParse({ type: 'node_query', request_id: 'r1', deadline_ms: 10_000, query, ...bad }).success).toBe(false);
    }
  });

  it('answers with a typed result or a failure code, keyed by the same request id', () => {
    const ok = AgentMessage.parse({ type: 'node_query_result', request_id: 'r1', result: { ok: true, answer: { kind: 'magic_login', token: TOKEN, expires_at: '2026-12-07T13:00:00.000Z' } } });
    expect(ok.type === 'node_query_result' && ok.result.ok && ok.result.answer.token).toBe(TOKEN);
    const failed = AgentMessage.parse({ type: 'node_query_result', request_id: 'r1', result: { ok: false, code: 'timeout', message: 'slow' } });
    expect(failed.type === 'node_query_result' && !failed.result.ok && failed.result.code).toBe('timeout');
  });

  it('refuses a token that is not 43 base64url characters and an unknown failure code', () => {
    for (const token of ['a'.repeat(42), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}/`]) {
      expect(AgentMessage.safeParse({ type: 'node_query_result', request_id: 'r1', result: { ok: true, answer: { kind: 'magic_login', token, expires_at: '2026-12-07T13:00:00.000Z' } } }).success).toBe(false);
    }
    expect(AgentMessage.safeParse({ type: 'node_query_result', request_id: 'r1', result: { ok: false, code: 'teapot', message: '' } }).success).toBe(false);
  });

  it('has the magic-login API codes in the registry with their statuses', () => {
    expect(ERROR_CODES.environment_not_active.http).toBe(409);
    expect(ERROR_CODES.node_unavailable.http).toBe(409);
    expect(ERROR_CODES.node_timeout.http).toBe(504);
    expect(ERROR_CODES.node_error.http).toBe(502);
  });
});
