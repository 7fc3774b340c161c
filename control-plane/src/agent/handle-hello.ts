import { CLOSE_CODES, PROTOCOL_VERSION, type AgentMessage } from '@pressluft/shared';
import { inTransaction, type Ctx } from '../context.ts';
import { failAttempt } from '../jobs/finish-job.ts';
import { transitionNode } from '../state/state-machine.ts';
import type { AgentSession } from './agent-sessions.ts';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

/**
 * A valid hello: record the node's facts, bring it back from `unreachable`, and reconcile its
 * running jobs with what the agent reports. A running job the agent does not mention at all is
 * lost (AGENT_LOST, retried per the registry); one it lists as not running still has journaled
 * events to replay, so it waits for them (or for its lease to expire). Jobs the agent lists that
 * the control plane no longer wants are abandoned in the ack.
 */
export async function handleHello(ctx: Ctx, session: AgentSession, hello: Hello): Promise<void> {
  if (hello.protocol_version !== PROTOCOL_VERSION) {
    session.log.warn({ theirs: hello.protocol_version, ours: PROTOCOL_VERSION }, 'protocol version mismatch');
    session.close(CLOSE_CODES.PROTOCOL_MISMATCH, `protocol version ${PROTOCOL_VERSION} required`);
    return;
  }
  if (hello.node_id !== session.nodeId) {
    session.close(CLOSE_CODES.BAD_CREDENTIAL, 'node id does not match the credential');
    return;
  }
  // Cancels requested while the agent was away are repeated once it is back.
  const cancels: Array<{ job_id: string; attempt: number }> = [];
  const abandon = await inTransaction(ctx, async (tx) => {
    const node = await tx.db.selectFrom('nodes').selectAll().where('id', '=', session.nodeId).executeTakeFirstOrThrow();
    await tx.db.updateTable('nodes').set({
      hostname: hello.hostname, os: hello.os, public_ip: hello.public_ip, agent_version: hello.agent_version,
      last_seen_at: tx.iso, updated_at: tx.iso,
    }).where('id', '=', node.id).execute();
    tx.notes.push({ type: 'node', id: node.id });

    if (node.status === 'unreachable') {
      const provisioning = await tx.db.selectFrom('jobs').select('id')
        .where('node_id', '=', node.id).where('job_type', '=', 'node_provision').where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      await transitionNode(tx, node.id, provisioning ? 'provisioning' : node.provisioned_at ? 'active' : 'pending');
    }

    const running = await tx.db.selectFrom('jobs').selectAll().where('node_id', '=', node.id).where('status', '=', 'running').execute();
    for (const job of running) {
      const listed = hello.jobs.find((j) => j.job_id === job.id && j.attempt === job.attempt);
      if (!listed) {
        await failAttempt(tx, ctx.config, job, { code: 'AGENT_LOST', message: 'The agent reconnected without this job: it restarted or lost it.' });
      } else if (listed.running) {
        session.activeJobs.add(job.id);
        if (job.cancel_requested === 1) cancels.push({ job_id: job.id, attempt: job.attempt });
      }
    }

    const wanted = [];
    for (const listed of hello.jobs) {
      const job = await tx.db.selectFrom('jobs').select(['status', 'attempt', 'node_id']).where('id', '=', listed.job_id).executeTakeFirst();
      if (!job || job.node_id !== node.id || job.status !== 'running' || job.attempt !== listed.attempt) {
        wanted.push({ job_id: listed.job_id, attempt: listed.attempt });
      }
    }
    return wanted;
  });

  session.send({ type: 'hello_ack', node_id: session.nodeId, heartbeat_interval_ms: ctx.config.heartbeatMs, abandon });
  for (const cancel of cancels) session.send({ type: 'job_cancel', ...cancel });
  session.ready = true;
  session.log.info({ agentVersion: hello.agent_version, abandoned: abandon.length }, 'agent connected');
  ctx.kick();
}
