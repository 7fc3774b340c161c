import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoginRequest } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { randomSecret, sha256 } from '../secrets/secret-box.ts';
import { verifyPassword } from './passwords.ts';
import { LoginRateLimit } from './rate-limit.ts';

export const SESSION_COOKIE = 'session_token';
const SESSION_TTL_MS = 7 * 24 * 3600_000;

/** Routes reachable without a session: login, health, node registration, and the agent socket (own auth). */
const PUBLIC_API = new Set(['/api/login', '/api/health', '/api/nodes/register', '/api/agent/ws']);

export interface SessionUser {
  id: string;
  email: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: SessionUser | null;
  }
}

// A dummy hash keeps an unknown email as slow as a wrong password.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

async function sessionUser(ctx: Ctx, request: FastifyRequest): Promise<SessionUser | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  const row = await ctx.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || row.expires_at <= new Date().toISOString()) return null;
  return { id: row.id, email: row.email };
}

/** Session cookie auth for every /api route but the public ones, plus login and logout. */
export function registerAuth(app: FastifyInstance, ctx: Ctx): void {
  const limiter = new LoginRateLimit();
  app.decorateRequest('user', null);

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0];
    if (!path.startsWith('/api/') && path !== '/api') return;
    request.user = await sessionUser(ctx, request);
    if (!request.user && !PUBLIC_API.has(path)) throw new ApiFailure('unauthorized', 'Log in first.');
  });

  app.post('/api/login', async (request, reply) => {
    const body = parseInput(LoginRequest, request.body);
    const email = body.email.toLowerCase();
    request.auditTarget = email;
    const key = `${email}|${request.ip}`;
    if (limiter.isBlocked(key)) throw new ApiFailure('rate_limited', 'Too many failed logins; wait a few minutes.');
    const user = await ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const ok = await verifyPassword(body.password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok) {
      limiter.recordFailure(key);
      throw new ApiFailure('unauthorized', 'Wrong email or password.');
    }
    limiter.reset(key);
    const token = randomSecret(32);
    const now = new Date();
    await ctx.db.insertInto('sessions').values({
      token_hash: sha256(token), user_id: user.id, created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    }).execute();
    request.user = { id: user.id, email: user.email };
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true, sameSite: 'lax', path: '/', maxAge: SESSION_TTL_MS / 1000,
      secure: request.protocol === 'https',
    });
    return { user: { id: user.id, email: user.email } };
  });

  app.post('/api/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await ctx.db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/me', async (request) => ({ user: request.user }));
}
