import type { FastifyInstance } from 'fastify';
import { CreateNodeRequest, RegisterNodeRequest } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { toNodeDto } from '../http/dto.ts';
import { idParam } from '../http/params.ts';
import { createNode, provisionNode, registerNode } from './nodes.service.ts';

export function registerNodeRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/api/nodes', async () => {
    const nodes = await ctx.db.selectFrom('nodes').selectAll().orderBy('created_at').execute();
    return nodes.map((n) => toNodeDto(n, ctx.sessions.isConnected(n.id)));
  });

  app.get('/api/nodes/:id', async (request) => {
    const id = idParam(request.params);
    const node = await ctx.db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!node) throw new ApiFailure('not_found', `node ${id} does not exist`);
    return toNodeDto(node, ctx.sessions.isConnected(id));
  });

  app.post('/api/nodes', async (request, reply) => {
    const body = parseInput(CreateNodeRequest, request.body);
    const created = await createNode(ctx, body.name);
    request.auditTarget = created.node.id;
    return reply.status(201).send(created);
  });

  app.post('/api/nodes/register', { config: { public: true } }, async (request) => {
    const body = parseInput(RegisterNodeRequest, request.body);
    const registered = await registerNode(ctx, body);
    request.auditTarget = registered.node_id;
    return registered;
  });

  app.post('/api/nodes/:id/provision', async (request, reply) => {
    const result = await provisionNode(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });
}
