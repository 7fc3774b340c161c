import type { Tx } from '../context.ts';
import type { JobRow } from '../db/schema.ts';
import { transitionNode, transitionResource } from '../state/state-machine.ts';
import { jobVars } from './enqueue-job.ts';

/**
 * What a job's end means for its resources: on success creates and provisioning move to
 * `active` and deletes to `deleted`; a job that failed for good or was cancelled moves them to
 * `failed`, never `active`. Moves are guarded with `onlyFrom`: a create that finishes after its
 * resource went to `deleting` leaves it alone, and a job superseded by a delete leaves its
 * resources to the delete.
 */
export async function applyOutcome(tx: Tx, job: JobRow, outcome: 'succeeded' | 'failed'): Promise<void> {
  const ok = outcome === 'succeeded';
  if (!ok && job.error_code === 'JOB_SUPERSEDED') return;
  switch (job.job_type) {
    case 'node_provision':
      await transitionNode(tx, job.node_id, ok ? 'active' : 'failed', ['provisioning', 'pending', 'unreachable'], ok ? { provisioned_at: tx.iso } : {});
      return;
    case 'site_create':
    case 'env_create': {
      const to = ok ? 'active' : 'failed';
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, to, ['creating']);
      if (job.job_type === 'site_create' && job.site_id) await transitionResource(tx, 'site', job.site_id, to, ['creating']);
      return;
    }
    case 'env_delete':
    case 'site_delete': {
      const to = ok ? 'deleted' : 'failed';
      const envIds = job.job_type === 'env_delete'
        ? (job.environment_id ? [job.environment_id] : [])
        : ((jobVars(job).pressluft_env_ids as string[] | undefined) ?? []);
      for (const id of envIds) await transitionResource(tx, 'environment', id, to, ['deleting']);
      if (job.job_type === 'site_delete' && job.site_id) await transitionResource(tx, 'site', job.site_id, to, ['deleting']);
      return;
    }
  }
}
