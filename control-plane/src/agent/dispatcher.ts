import { inTransaction, type Ctx } from '../context.ts';
import { claimNextJob } from '../jobs/claim-job.ts';
import { failAttempt } from '../jobs/finish-job.ts';
import type { AgentSession } from './agent-sessions.ts';
import { buildDispatch } from './build-dispatch.ts';

/**
 * Claims jobs for connected nodes and sends them. Runs are coalesced: any number of kicks
 * while a run is in progress cause exactly one more run.
 */
export class Dispatcher {
  private running = false;
  private again = false;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: () => Ctx) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.current = new Promise((resolve) => setImmediate(() => void this.loop().finally(resolve)));
  }

  /** Stops dispatching and waits for a run in progress (the database closes right after). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const ctx = this.ctx();
        // One cheap query first, so hundreds of idle agents do not each cost a claim.
        const due = await ctx.db.selectFrom('jobs').select('node_id').distinct()
          .where('status', '=', 'queued').where('run_after', '<=', ctx.clock.now().toISOString()).execute();
        for (const { node_id } of due) {
          const session = ctx.sessions.get(node_id);
          if (!session) continue;
          if (this.stopped) return;
          // A node runs one job at a time: a session with a job in flight cannot claim.
          if (session.ready && !session.closed && session.activeJobs.size === 0) await this.dispatchFor(session);
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      this.ctx().log.error({ err: error }, 'dispatcher run failed');
    } finally {
      this.running = false;
    }
  }

  private async dispatchFor(session: AgentSession): Promise<void> {
    const ctx = this.ctx();
    const job = await inTransaction(ctx, (tx) => claimNextJob(tx, session.nodeId, ctx.config.leaseMs));
    if (!job) return;
    const log = session.log.child({ jobId: job.id, attempt: job.attempt });
    try {
      const message = await buildDispatch(ctx, job);
      session.activeJobs.add(job.id);
      session.send(message);
      log.info({ jobType: job.job_type }, 'job dispatched');
    } catch (error) {
      log.error({ err: error }, 'job could not be dispatched');
      await inTransaction(ctx, async (tx) => {
        const current = await tx.db.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirst();
        if (current?.status === 'running' && current.attempt === job.attempt) {
          await failAttempt(tx, ctx.config, current, { code: 'AGENT_REJECTED', message: 'The control plane could not prepare this job (missing secrets).' });
        }
      });
    }
  }
}
