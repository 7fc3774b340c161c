import type { FastifyInstance } from 'fastify';
import { JobEventsQuery, ListJobsQuery, TERMINAL_JOB_STATUSES } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import { ApiFailure, parseInput } from '../http/api-error.ts';
import { toJobDto } from '../http/dto.ts';
import { idParam } from '../http/params.ts';
import { wantsEventStream, type SseHub, type SseStream } from '../http/sse.ts';
import { cancelJob } from './cancel-job.ts';
import { listJobEvents, toJobEventDto } from './job-events.ts';


export function registerJobRoutes(app: FastifyInstance, ctx: Ctx, streams: SseHub): void {
  app.get('/api/jobs', async (request) => {
    const query = parseInput(ListJobsQuery, request.query, 'query');
    let q = ctx.db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(query.limit ?? 100);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.site_id) q = q.where('site_id', '=', query.site_id);
    const rows = await q.execute();
    return Promise.all(rows.map((row) => toJobDto(ctx, row)));
  });

  app.get('/api/jobs/:id', async (request) => {
    const id = idParam(request.params);
    const job = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!job) throw new ApiFailure('not_found', `job ${id} does not exist`);
    return toJobDto(ctx, job);
  });

  app.post('/api/jobs/:id/cancel', async (request, reply) => {
    const result = await cancelJob(ctx, idParam(request.params));
    ctx.kick();
    return reply.status(202).send(result);
  });

  app.get('/api/jobs/:id/events', async (request, reply) => {
    const id = idParam(request.params);
    const query = parseInput(JobEventsQuery, request.query, 'query');
    const job = await ctx.db.selectFrom('jobs').select('id').where('id', '=', id).executeTakeFirst();
    if (!job) throw new ApiFailure('not_found', `job ${id} does not exist`);
    const lastEventId = Number(request.headers['last-event-id']);
    const after = query.after ?? (Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : 0);
    if (!wantsEventStream(request)) {
      return (await listJobEvents(ctx.db, id, after, 100_000)).map(toJobEventDto);
    }
    streamJobEvents(ctx, streams.open(request, reply), id, after);
    return reply;
  });
}

/**
 * Replays the events after `after`, then follows live ones. The job's status is read BEFORE
 * the events: if it was terminal then, its final state event is already in what we read, so
 * `end` never cuts the stream short.
 */
function streamJobEvents(ctx: Ctx, stream: SseStream, jobId: string, after: number): void {
  let last = after;
  let busy = false;
  let again = false;
  const pump = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const job = await ctx.db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirstOrThrow();
        let rows;
        do {
          rows = await listJobEvents(ctx.db, jobId, last, 500);
          for (const row of rows) {
            stream.send('job_event', toJobEventDto(row), row.seq);
            last = row.seq;
          }
        } while (rows.length === 500 && !stream.closed);
        if (TERMINAL_JOB_STATUSES.includes(job.status)) {
          stream.send('end', { status: job.status });
          stream.end();
          return;
        }
      } while (again && !stream.closed);
    } catch (error) {
      ctx.log.error({ err: error, jobId }, 'job event stream failed');
      stream.end();
    } finally {
      busy = false;
    }
  };
  const unsubscribe = ctx.bus.onJobEvent(jobId, () => void pump());
  stream.onClose(unsubscribe);
  void pump();
}
