import type { FastifyInstance } from 'fastify';
import { CreateSiteRequest } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { toSiteDto } from '../http/dto.ts';
import { idParam } from '../http/params.ts';
import { createSite, deleteSite, resetSite } from './sites.service.ts';

export function registerSiteRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/api/sites', async () => {
    const sites = await ctx.db.selectFrom('sites').selectAll().where('status', '<>', 'deleted').orderBy('created_at', 'desc').execute();
    const envs = await ctx.db.selectFrom('environments').selectAll().where('status', '<>', 'deleted').orderBy('created_at').execute();
    return sites.map((site) => toSiteDto(site, envs.filter((e) => e.site_id === site.id)));
  });

  app.post('/api/sites', async (request, reply) => {
    const body = parseInput(CreateSiteRequest, request.body);
    const created = await createSite(ctx, body);
    request.auditTarget = created.site_id;
    ctx.kick();
    return reply.status(202).send(created);
  });

  app.get('/api/sites/:id', async (request) => {
    const id = idParam(request.params);
    const site = await ctx.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
    if (!site) throw new ApiFailure('not_found', `site ${id} does not exist`);
    // A deleted site still shows what it had; a live one hides its deleted environments.
    let envQuery = ctx.db.selectFrom('environments').selectAll().where('site_id', '=', id);
    if (site.status !== 'deleted') envQuery = envQuery.where('status', '<>', 'deleted');
    const envs = await envQuery.orderBy('created_at').execute();
    return toSiteDto(site, envs);
  });

  app.delete('/api/sites/:id', async (request, reply) => {
    const result = await deleteSite(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });

  app.post('/api/sites/:id/reset', async (request, reply) => {
    const result = await resetSite(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });
}
