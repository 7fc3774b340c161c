import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a mutating call acted on (set by routes that create things; defaults to the :id param). */
    auditTarget: string | null;
    /** A named action (e.g. `magic_login`) instead of the default "METHOD /route". */
    auditAction: string | null;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * One audit row per mutating request, successful or not (failed logins and refused calls
 * included): actor, action (method and matched route), target, status, IP and time. Bodies are never recorded, so no
 * secret can land here.
 */
export function registerAuditLog(app: FastifyInstance, ctx: Ctx): void {
  app.decorateRequest('auditTarget', null);
  app.decorateRequest('auditAction', null);
  app.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    const params = request.params as Record<string, string> | undefined;
    try {
      await ctx.db.insertInto('audit_logs').values({
        id: null,
        actor: request.user?.email ?? 'anonymous',
        // The route pattern Fastify matched, whatever spelling of the path reached it.
        action: request.auditAction ?? `${request.method} ${request.is404 ? '(no route)' : request.routeOptions.url}`,
        target: request.auditTarget ?? params?.id ?? null,
        status_code: reply.statusCode,
        ip: request.ip,
        created_at: new Date().toISOString(),
      }).execute();
    } catch (error) {
      request.log.error({ err: error }, 'audit log write failed');
    }
  });
}
