import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoginRequest, type LoginTokenResponse } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { randomSecret, sha256 } from '../secrets/secret-box.ts';
import { verifyPassword } from './passwords.ts';
import { LoginThrottle } from './login-throttle.ts';

export const SESSION_COOKIE = 'session_token';
const SESSION_TTL_MS = 7 * 24 * 3600_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SessionUser {
  id: string;
  email: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (login, health, node registration, the agent socket, dashboard files). */
    public?: boolean;
  }
  interface FastifyRequest {
    user: SessionUser | null;
    /** How the session came: a cookie (a browser, CSRF applies) or `Authorization: Bearer` (a CLI). */
    sessionVia: 'cookie' | 'bearer' | null;
    /** The session's token hash (its id in `sessions`), when the request has one. */
    sessionId: string | null;
  }
}

// A dummy hash keeps an unknown email as slow as a wrong password.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

/** The session token a request presents: `Authorization: Bearer <token>` first, then the cookie. */
function presentedToken(request: FastifyRequest): { token: string; via: 'cookie' | 'bearer' } | null {
  const bearer = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(request.headers.authorization ?? '');
  if (bearer) return { token: bearer[1], via: 'bearer' };
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

async function sessionUser(ctx: Ctx, token: string): Promise<SessionUser | null> {
  const row = await ctx.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || row.expires_at <= new Date().toISOString()) return null;
  return { id: row.id, email: row.email };
}

/**
 * Session auth decided on the route Fastify matched, never on the URL text (the router decodes
 * and cleans paths, so a string test and the router disagree): every route needs a session
 * unless it is marked `config: { public: true }`. An unmatched request is left to the
 * not-found handler, which answers 401 without a session. Plus login and logout.
 */
export function registerAuth(app: FastifyInstance, ctx: Ctx): void {
  const throttle = new LoginThrottle();
  app.decorateRequest('user', null);
  app.decorateRequest('sessionVia', null);
  app.decorateRequest('sessionId', null);

  app.addHook('onRequest', async (request) => {
    const presented = presentedToken(request);
    if (presented) {
      request.user = await sessionUser(ctx, presented.token);
      if (request.user) {
        request.sessionVia = presented.via;
        request.sessionId = sha256(presented.token);
      }
    }
    if (request.user || request.is404 || request.routeOptions.config.public === true) return;
    throw new ApiFailure('unauthorized', 'Log in first.');
  });

  // CSRF: a page on a same-site origin (a site's preview domain) can make the browser send a
  // cookie-carrying POST without preflight only with no or a form/text content type. Requiring
  // JSON on every mutating call forces a CORS preflight, which this server never grants. A
  // bearer token is never sent by a browser on its own, so bearer calls are exempt.
  app.addHook('onRequest', async (request) => {
    if (!MUTATING.has(request.method) || request.sessionVia === 'bearer' || request.is404) return;
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
      throw new ApiFailure('unsupported_media_type', 'Send Content-Type: application/json (an empty body is fine).');
    }
  });

  app.post('/api/login', { config: { public: true } }, async (request, reply) => {
    const body = parseInput(LoginRequest, request.body);
    const email = body.email.toLowerCase();
    request.auditTarget = email;
    // The permit is taken before any await, so parallel guesses see each other.
    const permit = throttle.begin(email, request.ip);
    if (!permit) throw new ApiFailure('rate_limited', 'Too many logins at once or failed recently; wait a few minutes.');
    let user;
    try {
      user = await ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      const ok = await verifyPassword(body.password, user?.password_hash ?? DUMMY_HASH);
      if (!user || !ok) {
        permit.failed();
        throw new ApiFailure('unauthorized', 'Wrong email or password.');
      }
      permit.succeeded();
    } finally {
      permit.release();
    }
    const token = randomSecret(32);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
    await ctx.db.insertInto('sessions').values({
      token_hash: sha256(token), user_id: user.id, created_at: now.toISOString(), expires_at: expiresAt,
    }).execute();
    request.user = { id: user.id, email: user.email };
    if (body.issue_token) return { token, expires_at: expiresAt } satisfies LoginTokenResponse;
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true, sameSite: 'lax', path: '/', maxAge: SESSION_TTL_MS / 1000,
      secure: request.protocol === 'https',
    });
    return { user: { id: user.id, email: user.email } };
  });

  // Revokes the session the request came with (cookie or bearer) server-side.
  app.post('/api/logout', async (request, reply) => {
    const presented = presentedToken(request);
    if (presented) await ctx.db.deleteFrom('sessions').where('token_hash', '=', sha256(presented.token)).execute();
    if (presented?.via === 'cookie') reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/me', async (request) => ({ user: request.user }));
}
