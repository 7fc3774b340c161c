import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { Ctx } from './context.ts';
import { registerAgentSocket } from './agent/agent-socket.ts';
import { registerAuditLog } from './audit/audit-log.ts';
import { registerAuth } from './auth/auth.ts';
import { registerEnvironmentRoutes } from './environments/environments.routes.ts';
import { registerMagicLoginRoutes } from './environments/magic-login.routes.ts';
import { registerEventRoutes } from './events/events.routes.ts';
import { ApiFailure, registerErrorHandler, registerNotFound } from './http/api-error.ts';
import { SseHub } from './http/sse.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerSystemRoutes } from './http/system.routes.ts';
import { registerJobRoutes } from './jobs/jobs.routes.ts';
import { registerNodeRoutes } from './nodes/nodes.routes.ts';
import { registerSiteRoutes } from './sites/sites.routes.ts';

export interface AppOptions {
  ctx: Ctx;
  dashboardDir: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    pressluft: Ctx;
    sseHub: SseHub;
  }
}

/**
 * The control plane as a Fastify plugin: API routes, the agent socket and the dashboard.
 * Expects @fastify/cookie and @fastify/websocket to be registered by the caller (server.ts).
 */
export const pressluftApp = fp(async (app: FastifyInstance, opts: AppOptions) => {
  const { ctx } = opts;
  const streams = new SseHub({
    maxStreams: ctx.config.sseMaxStreams, maxStreamsPerSession: ctx.config.sseMaxStreamsPerSession, maxBufferedBytes: ctx.config.sseMaxBufferedBytes,
  });
  app.decorate('sseHub', streams);
  app.decorate('pressluft', ctx);

  // Only JSON bodies are accepted; anything else is a 415. An empty JSON body counts as no
  // body, so a client that always sends the header can still call body-less POSTs.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new ApiFailure('bad_request', `body: ${(error as Error).message}`), undefined);
    }
  });

  registerErrorHandler(app);
  registerNotFound(app, opts.dashboardDir);
  registerOpenApi(app);
  registerAuth(app, ctx);
  registerAuditLog(app, ctx);
  registerSystemRoutes(app, ctx);
  registerSiteRoutes(app, ctx);
  registerEnvironmentRoutes(app, ctx);
  registerMagicLoginRoutes(app, ctx);
  registerNodeRoutes(app, ctx);
  registerJobRoutes(app, ctx, streams);
  registerEventRoutes(app, ctx, streams);
  registerAgentSocket(app, ctx);

  if (opts.dashboardDir) {
    const root = opts.dashboardDir;
    // The dashboard's files are public (the login page is one of them); only its routes are marked.
    await app.register(async (dashboard) => {
      dashboard.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      await dashboard.register(fastifyStatic, { root, prefix: '/', wildcard: true });
    });
  }

  app.addHook('preClose', async () => streams.endAll());
}, { name: 'pressluft-app' });
