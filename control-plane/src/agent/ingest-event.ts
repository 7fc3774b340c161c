import { ERROR_CODES, ReachabilityReport, type AgentMessage, type JobResultData } from '@pressluft/shared';
import { inTransaction, type Ctx, type Tx } from '../context.ts';
import type { JobRow } from '../db/schema.ts';
import { appendJobEvent } from '../jobs/job-events.ts';
import { completeJob, failAttempt } from '../jobs/finish-job.ts';
import type { AgentSession } from './agent-sessions.ts';
import { reachabilityExpectation } from './build-dispatch.ts';

type JobEventMessage = Extract<AgentMessage, { type: 'job_event' }>;

/**
 * Stores one agent event (deduplicated on job, attempt and the agent's seq) and, for the
 * result, ends the attempt in the same transaction. Events of an attempt that is no longer
 * the job's running one are acknowledged and dropped, so the agent can forget them.
 */
export async function ingestJobEvent(ctx: Ctx, session: AgentSession, message: JobEventMessage): Promise<void> {
  const { ack, ended } = await inTransaction(ctx, async (tx) => {
    const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', message.job_id).executeTakeFirst();
    if (!job || job.node_id !== session.nodeId || job.status !== 'running' || job.attempt !== message.attempt) {
      return { ack: message.seq, ended: false };
    }
    const duplicate = await tx.db.selectFrom('job_events').select('seq')
      .where('job_id', '=', job.id).where('attempt', '=', job.attempt).where('agent_seq', '=', message.seq)
      .executeTakeFirst();
    let ended = false;
    if (!duplicate) {
      await appendJobEvent(tx, { job_id: job.id, attempt: job.attempt, type: message.data.kind, data: message.data, agent_seq: message.seq });
      if (message.data.kind === 'result') {
        await endAttempt(tx, ctx, job, message.data);
        ended = true;
      }
    }
    return { ack: await contiguousAgentSeq(tx, job.id, job.attempt), ended };
  });
  session.send({ type: 'event_ack', job_id: message.job_id, attempt: message.attempt, seq: ack });
  if (ended) {
    session.activeJobs.delete(message.job_id);
    ctx.kick();
  }
}

/** The highest agent seq such that every seq from 1 up to it is stored (the cumulative ack). */
async function contiguousAgentSeq(tx: Tx, jobId: string, attempt: number): Promise<number> {
  const rows = await tx.db.selectFrom('job_events').select('agent_seq')
    .where('job_id', '=', jobId).where('attempt', '=', attempt).where('agent_seq', 'is not', null)
    .orderBy('agent_seq').execute();
  let expected = 1;
  for (const row of rows) {
    if (row.agent_seq !== expected) break;
    expected += 1;
  }
  return expected - 1;
}

/**
 * The agent's word is not trusted blindly: a successful runtime-creating job must carry a
 * reachability report of this attempt for exactly the environment and host that were
 * dispatched, answering 200.
 */
async function endAttempt(tx: Tx, ctx: Ctx, job: JobRow, result: JobResultData): Promise<void> {
  if (!result.ok) {
    await failAttempt(tx, ctx.config, job, {
      code: result.error_code ?? 'ANSIBLE_UNKNOWN_EXIT',
      message: result.error_message,
      failedStep: result.failed_step,
      outputTail: result.output_tail,
    });
    return;
  }
  if (job.cancel_requested === 1) {
    await failAttempt(tx, ctx.config, job, { code: 'JOB_CANCELLED', message: 'Cancelled by an operator.' });
    return;
  }
  const expected = reachabilityExpectation(job);
  if (expected) {
    const row = await tx.db.selectFrom('job_events').select('data')
      .where('job_id', '=', job.id).where('attempt', '=', job.attempt).where('type', '=', 'reachability')
      .orderBy('seq', 'desc').executeTakeFirst();
    const parsed = row ? ReachabilityReport.safeParse(JSON.parse(row.data)) : null;
    const report = parsed?.success ? parsed.data : null;
    if (!report || report.environment_id !== expected.environment_id || report.host !== expected.host) {
      await failAttempt(tx, ctx.config, job, {
        code: 'REACHABILITY_MISMATCH',
        message: report
          ? `The reachability report was for ${report.host} / ${report.environment_id}, expected ${expected.host} / ${expected.environment_id}.`
          : 'The agent reported success without a reachability report.',
        outputTail: result.output_tail,
      });
      return;
    }
    if (!report.ok || report.http_status !== 200) {
      await failAttempt(tx, ctx.config, job, {
        code: 'RUNTIME_UNREACHABLE',
        message: report.reason ?? `${report.url} answered ${report.http_status ?? 'nothing'}; ${ERROR_CODES.RUNTIME_UNREACHABLE.hint}`,
        outputTail: result.output_tail,
      });
      return;
    }
  }
  await completeJob(tx, job, result.output_tail);
}
