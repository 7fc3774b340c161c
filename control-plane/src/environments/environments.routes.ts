import type { FastifyInstance } from 'fastify';
import { CreateEnvironmentRequest } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { toEnvironmentDto } from '../http/dto.ts';
import { idParam } from '../http/params.ts';
import { createEnvironment, deleteEnvironment, resetEnvironment } from './environments.service.ts';

export function registerEnvironmentRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/api/sites/:id/environments', async (request) => {
    const siteId = idParam(request.params);
    const site = await ctx.db.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
    if (!site) throw new ApiFailure('not_found', `site ${siteId} does not exist`);
    const envs = await ctx.db.selectFrom('environments').selectAll().where('site_id', '=', siteId).where('status', '<>', 'deleted').orderBy('created_at').execute();
    return envs.map(toEnvironmentDto);
  });

  app.post('/api/sites/:id/environments', async (request, reply) => {
    const siteId = idParam(request.params);
    const body = parseInput(CreateEnvironmentRequest, request.body);
    const created = await createEnvironment(ctx, siteId, body);
    request.auditTarget = created.environment_id;
    ctx.kick();
    return reply.status(202).send(created);
  });

  app.get('/api/environments/:id', async (request) => {
    const id = idParam(request.params);
    const env = await ctx.db.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!env) throw new ApiFailure('not_found', `environment ${id} does not exist`);
    return toEnvironmentDto(env);
  });

  app.delete('/api/environments/:id', async (request, reply) => {
    const result = await deleteEnvironment(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });

  app.post('/api/environments/:id/reset', async (request, reply) => {
    const result = await resetEnvironment(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });
}
