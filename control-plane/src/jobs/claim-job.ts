import { sql } from 'kysely';
import type { Tx } from '../context.ts';
import type { JobRow } from '../db/schema.ts';
import { appendStateEvent } from '../state/state-machine.ts';

/**
 * Claims the oldest runnable job of a node in ONE statement, so two connections or processes
 * can never take the same job or run two jobs for one node or site (the partial unique
 * indexes jobs_one_running_per_node / _per_site back this up). The attempt is counted here,
 * so a crash right after the claim still uses one. Site jobs need an active node;
 * node_provision is what makes it active.
 */
export async function claimNextJob(tx: Tx, nodeId: string, leaseMs: number): Promise<JobRow | null> {
  const lease = new Date(tx.now.getTime() + leaseMs).toISOString();
  const result = await sql<JobRow>`
    UPDATE jobs SET
      status = 'running', attempt = attempt + 1, lease_expires_at = ${lease},
      started_at = COALESCE(started_at, ${tx.iso}), updated_at = ${tx.iso},
      error_code = NULL, error_message = NULL, failed_step = NULL, output_tail = NULL
    WHERE id = (
      SELECT j.id FROM jobs j JOIN nodes n ON n.id = j.node_id
      WHERE j.status = 'queued' AND j.node_id = ${nodeId} AND j.run_after <= ${tx.iso}
        AND (j.job_type = 'node_provision' OR n.status = 'active')
        AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.node_id = j.node_id)
        AND (j.site_id IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.site_id = j.site_id))
      ORDER BY j.created_at, j.rowid
      LIMIT 1
    )
    RETURNING *`.execute(tx.db);
  const job = result.rows[0];
  if (!job) return null;
  await appendStateEvent(tx, job);
  tx.notes.push({ type: 'job', id: job.id, status: job.status });
  return job;
}
