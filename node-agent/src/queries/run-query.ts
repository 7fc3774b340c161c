import type { NodeQueryRequest, NodeQueryResult } from '@pressluft/shared';
import { FastCgiError } from './fastcgi.ts';
import { makeMagicLogin, type MagicLoginDeps } from './magic-login.ts';
import { QueryFailure } from './query-failure.ts';

export type QueryDeps = MagicLoginDeps;

/** The agent stops waiting a little before the deadline, so its reason arrives in time. */
const DEADLINE_MARGIN_MS = 500;

/** Runs one node query to its result; never throws (every failure is data for the control plane). */
export async function runQuery(request: NodeQueryRequest, deps: QueryDeps = {}): Promise<NodeQueryResult['result']> {
  const timeoutMs = Math.max(100, request.deadline_ms - DEADLINE_MARGIN_MS);
  try {
    switch (request.query.kind) {
      case 'magic_login':
        return { ok: true, answer: await makeMagicLogin(request.query, timeoutMs, deps) };
    }
  } catch (error) {
    if (error instanceof QueryFailure) return { ok: false, code: error.code, message: error.message };
    if (error instanceof FastCgiError) return { ok: false, code: error.timedOut ? 'timeout' : 'failed', message: error.message };
    return { ok: false, code: 'failed', message: `the agent failed: ${(error as Error).message}`.slice(0, 2000) };
  }
}
