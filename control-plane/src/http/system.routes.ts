import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.ts';

export function registerSystemRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/api/health', { config: { public: true } }, async () => ({ ok: true }));

  app.get('/api/metrics', async () => {
    const count = async (q: Promise<{ n: number | string | bigint } | undefined>) => Number((await q)?.n ?? 0);
    return {
      jobs_running: await count(ctx.db.selectFrom('jobs').select(({ fn }) => fn.countAll<number>().as('n')).where('status', '=', 'running').executeTakeFirst()),
      jobs_queued: await count(ctx.db.selectFrom('jobs').select(({ fn }) => fn.countAll<number>().as('n')).where('status', '=', 'queued').executeTakeFirst()),
      nodes_active: await count(ctx.db.selectFrom('nodes').select(({ fn }) => fn.countAll<number>().as('n')).where('status', '=', 'active').executeTakeFirst()),
      sites_total: await count(ctx.db.selectFrom('sites').select(({ fn }) => fn.countAll<number>().as('n')).where('status', '<>', 'deleted').executeTakeFirst()),
      agents_connected: ctx.sessions.all().filter((s) => s.ready).length,
    };
  });
}
