import { inTransaction, type Ctx } from '../context.ts';
import { failAttempt } from './finish-job.ts';

/**
 * Running jobs whose lease ran out lost their agent: the attempt fails with AGENT_LOST
 * (retried per the registry; a cancel-requested job ends `cancelled`). Running jobs survive a
 * control-plane restart with their lease, so they end here or when their agent says hello.
 */
export async function expireLeases(ctx: Ctx): Promise<number> {
  const nowIso = ctx.clock.now().toISOString();
  const expired = await ctx.db.selectFrom('jobs').select(['id', 'attempt', 'node_id'])
    .where('status', '=', 'running').where('lease_expires_at', '<', nowIso).execute();
  let count = 0;
  for (const stale of expired) {
    const ended = await inTransaction(ctx, async (tx) => {
      const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', stale.id).executeTakeFirst();
      if (!job || job.status !== 'running' || job.attempt !== stale.attempt || !job.lease_expires_at || job.lease_expires_at >= tx.iso) return false;
      await failAttempt(tx, ctx.config, job, { code: 'AGENT_LOST', message: 'The agent stopped reporting on this job before its lease expired.' });
      return true;
    });
    if (!ended) continue;
    count += 1;
    const session = ctx.sessions.get(stale.node_id);
    if (session) {
      session.activeJobs.delete(stale.id);
      // If the agent still runs the lost attempt, stop it; its late events are dropped anyway.
      session.send({ type: 'job_cancel', job_id: stale.id, attempt: stale.attempt });
    }
    ctx.log.warn({ jobId: stale.id, attempt: stale.attempt }, 'job lease expired');
  }
  if (count > 0) ctx.kick();
  return count;
}

/**
 * At start-up, running jobs keep running: their agents could not extend leases while the
 * control plane was down, so each gets at least one full lease from now to reconnect and
 * report before it counts as lost.
 */
export async function graceRunningLeases(ctx: Ctx): Promise<number> {
  const until = new Date(ctx.clock.now().getTime() + ctx.config.leaseMs).toISOString();
  const result = await ctx.db.updateTable('jobs').set({ lease_expires_at: until })
    .where('status', '=', 'running').where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', until)]))
    .executeTakeFirst();
  const count = Number(result.numUpdatedRows);
  if (count > 0) ctx.log.info({ count }, 'running jobs from before the restart wait for their agents');
  return count;
}
