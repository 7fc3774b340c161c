import { TERMINAL_JOB_STATUSES } from '@pressluft/shared';
import { inTransaction, type Ctx } from '../context.ts';
import { ApiFailure } from '../http/api-error.ts';
import { appendStateEvent } from '../state/state-machine.ts';
import { dropQueuedJob } from './finish-job.ts';

/**
 * A queued job is cancelled at once (a create's resource goes `failed`, never `active`). A
 * running one is marked cancel-requested and its agent asked to stop; it ends `cancelled`
 * when the agent reports back, or when its lease expires (never retried).
 */
export async function cancelJob(ctx: Ctx, jobId: string): Promise<{ job_id: string; status: string }> {
  const outcome = await inTransaction(ctx, async (tx) => {
    const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    if (!job) throw new ApiFailure('not_found', `job ${jobId} does not exist`);
    if (TERMINAL_JOB_STATUSES.includes(job.status)) throw new ApiFailure('invalid_state', `job is already ${job.status}`);
    if (job.status === 'queued') {
      const dropped = await dropQueuedJob(tx, job, 'JOB_CANCELLED');
      return { job: dropped, notify: false };
    }
    const marked = await tx.db.updateTable('jobs').set({ cancel_requested: 1, updated_at: tx.iso })
      .where('id', '=', job.id).returningAll().executeTakeFirstOrThrow();
    await appendStateEvent(tx, marked);
    tx.notes.push({ type: 'job', id: marked.id, status: marked.status });
    return { job: marked, notify: true };
  });
  if (outcome.notify) ctx.sessions.get(outcome.job.node_id)?.send({ type: 'job_cancel', job_id: outcome.job.id, attempt: outcome.job.attempt });
  return { job_id: outcome.job.id, status: outcome.job.status };
}
