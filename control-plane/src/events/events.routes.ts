import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.ts';
import type { SseHub } from '../http/sse.ts';

/** GET /api/events: every committed change as an SSE event named after its type. */
export function registerEventRoutes(app: FastifyInstance, ctx: Ctx, streams: SseHub): void {
  app.get('/api/events', async (request, reply) => {
    const stream = streams.open(request, reply);
    const unsubscribe = ctx.bus.onChange((event) => stream.send(event.type, event));
    stream.onClose(unsubscribe);
    return reply;
  });
}
