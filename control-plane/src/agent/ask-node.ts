import crypto from 'node:crypto';
import type { NodeQuery, NodeQueryAnswer, NodeQueryResult } from '@pressluft/shared';
import type { AgentSessions } from './agent-sessions.ts';

/** How a node query ended, for the caller to map to its API answer. */
export type AskOutcome<K extends NodeQuery['kind']> =
  | { ok: true; answer: Extract<NodeQueryAnswer, { kind: K }> }
  | { ok: false; code: 'node_unavailable' | 'node_timeout' | 'node_error'; message: string };

/**
 * Sends a query to a node's connected agent and waits at most `timeoutMs` for its answer.
 * Never throws for the node's sake: no connection, a dropped one, silence past the deadline
 * and the node's own failure are outcomes. The agent gets the same deadline and gives up a
 * little before it, so its reason usually arrives in time; an answer that comes later is dropped.
 */
export function askNode<Q extends NodeQuery>(sessions: AgentSessions, nodeId: string, query: Q, timeoutMs: number): Promise<AskOutcome<Q['kind']>> {
  const session = sessions.get(nodeId);
  if (!session?.ready || session.closed) return Promise.resolve({ ok: false, code: 'node_unavailable', message: `the agent of node ${nodeId} is not connected` });
  const requestId = crypto.randomUUID();
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    // undefined: the deadline passed; null: the connection went away.
    const settle = (result: NodeQueryResult['result'] | null | undefined) => {
      clearTimeout(timer);
      session.pendingQueries.delete(requestId);
      if (result === undefined) resolve({ ok: false, code: 'node_timeout', message: `the node did not answer within ${timeoutMs / 1000} s` });
      else if (result === null) resolve({ ok: false, code: 'node_unavailable', message: 'the agent disconnected before it answered' });
      else if (!result.ok) resolve({ ok: false, code: result.code === 'timeout' ? 'node_timeout' : 'node_error', message: result.message });
      else if (result.answer.kind !== query.kind) resolve({ ok: false, code: 'node_error', message: `the agent answered a ${result.answer.kind} query instead` });
      else resolve({ ok: true, answer: result.answer as Extract<NodeQueryAnswer, { kind: Q['kind'] }> });
    };
    session.pendingQueries.set(requestId, settle);
    session.send({ type: 'node_query', request_id: requestId, deadline_ms: timeoutMs, query });
  });
}
