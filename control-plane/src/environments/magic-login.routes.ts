import type { FastifyInstance } from 'fastify';
import type { MagicLoginResponse } from '@pressluft/shared';
import { askNode } from '../agent/ask-node.ts';
import type { Ctx } from '../context.ts';
import { ApiFailure } from '../http/api-error.ts';
import { idParam } from '../http/params.ts';

/** How long the API waits for the node to make a token (the contract). */
export const MAGIC_LOGIN_TIMEOUT_MS = 10_000;

/** Where an environment answers now: its preview URL (its primary domain, once environments have one). */
function currentAddress(env: { preview_url: string }): string {
  return env.preview_url;
}

/**
 * POST /api/environments/:id/magic-login: a one-time WordPress admin login made on the node.
 * Synchronous and not a job. Audited as `magic_login` with its status, success or not; the URL
 * and token are in the response only, never in a log, an event or the audit row.
 */
export function registerMagicLoginRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.post('/api/environments/:id/magic-login', async (request, reply): Promise<MagicLoginResponse> => {
    request.auditAction = 'magic_login';
    const id = idParam(request.params);
    const env = await ctx.db.selectFrom('environments').select(['id', 'status', 'node_id', 'preview_url']).where('id', '=', id).executeTakeFirst();
    if (!env || env.status === 'deleted') throw new ApiFailure('not_found', `environment ${id} does not exist`);
    if (env.status !== 'active') throw new ApiFailure('environment_not_active', `environment ${id} is ${env.status}, not active`);
    const address = currentAddress(env);
    const outcome = await askNode(ctx.sessions, env.node_id, { kind: 'magic_login', environment_id: env.id, address }, MAGIC_LOGIN_TIMEOUT_MS);
    if (!outcome.ok) throw new ApiFailure(outcome.code, outcome.message);
    const url = new URL('/', address);
    url.searchParams.set('pressluft_login', outcome.answer.token);
    reply.header('cache-control', 'no-store');
    return { login_url: url.toString(), expires_at: outcome.answer.expires_at };
  });
}
