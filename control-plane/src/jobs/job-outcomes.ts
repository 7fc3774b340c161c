import type { Tx } from '../context.ts';
import type { JobRow } from '../db/schema.ts';
import { transitionNode, transitionResource } from '../state/state-machine.ts';
import { jobVars } from './enqueue-job.ts';

/**
 * What a job's end means for its resource. Moves are guarded with `onlyFrom`: a create that
 * finishes after its resource went to `deleting` leaves it alone, so nothing turns `active`
 * by accident.
 */
export async function applySuccess(tx: Tx, job: JobRow): Promise<void> {
  switch (job.job_type) {
    case 'node_provision':
      await transitionNode(tx, job.node_id, 'active', ['provisioning', 'pending', 'unreachable'], { provisioned_at: tx.iso });
      return;
    case 'site_create':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'active', ['creating']);
      if (job.site_id) await transitionResource(tx, 'site', job.site_id, 'active', ['creating']);
      return;
    case 'env_create':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'active', ['creating']);
      return;
    case 'env_delete':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'deleted', ['deleting']);
      return;
    case 'site_delete': {
      const ids = (jobVars(job).pressluft_env_ids as string[] | undefined) ?? [];
      for (const id of ids) await transitionResource(tx, 'environment', id, 'deleted', ['deleting']);
      if (job.site_id) await transitionResource(tx, 'site', job.site_id, 'deleted', ['deleting']);
      return;
    }
  }
}

/** The job failed for good (or was cancelled): its resource is `failed`, never `active`. */
export async function applyFailure(tx: Tx, job: JobRow): Promise<void> {
  if (job.error_code === 'JOB_SUPERSEDED') return;
  switch (job.job_type) {
    case 'node_provision':
      await transitionNode(tx, job.node_id, 'failed', ['provisioning', 'pending', 'unreachable']);
      return;
    case 'site_create':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'failed', ['creating']);
      if (job.site_id) await transitionResource(tx, 'site', job.site_id, 'failed', ['creating']);
      return;
    case 'env_create':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'failed', ['creating']);
      return;
    case 'env_delete':
      if (job.environment_id) await transitionResource(tx, 'environment', job.environment_id, 'failed', ['deleting']);
      return;
    case 'site_delete': {
      const ids = (jobVars(job).pressluft_env_ids as string[] | undefined) ?? [];
      for (const id of ids) await transitionResource(tx, 'environment', id, 'failed', ['deleting']);
      if (job.site_id) await transitionResource(tx, 'site', job.site_id, 'failed', ['deleting']);
      return;
    }
  }
}
