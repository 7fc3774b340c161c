import { JOB_TIMEOUT_MS, JobSecrets, PLAYBOOKS, REACHABILITY_JOB_TYPES, type JobDispatch } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import type { JobRow } from '../db/schema.ts';
import { jobVars } from '../jobs/enqueue-job.ts';

/** Decrypted per-environment secrets (never stored in job payloads). */
export interface EnvironmentSecrets {
  db_password: string;
  admin_password?: string;
}

export async function readEnvironmentSecrets(ctx: Ctx, environmentId: string): Promise<EnvironmentSecrets | null> {
  const row = await ctx.db.selectFrom('environment_secrets').select(['ciphertext']).where('environment_id', '=', environmentId).executeTakeFirst();
  return row ? (JSON.parse(ctx.secrets.decrypt(row.ciphertext)) as EnvironmentSecrets) : null;
}

/** What the agent must find after the playbook of a runtime-creating job. */
export function reachabilityExpectation(job: JobRow): JobDispatch['reachability'] {
  if (!REACHABILITY_JOB_TYPES.includes(job.job_type)) return null;
  const vars = jobVars(job);
  return {
    environment_id: String(vars.pressluft_env_id),
    preview_url: String(vars.pressluft_preview_url),
    host: String(vars.pressluft_preview_host),
    http_port: Number(vars.pressluft_http_port),
  };
}

/** Builds the job_dispatch message; secrets are decrypted only here, just before sending. */
export async function buildDispatch(ctx: Ctx, job: JobRow): Promise<JobDispatch> {
  let secrets: JobSecrets = {};
  if ((job.job_type === 'site_create' || job.job_type === 'env_create') && job.environment_id) {
    const stored = await readEnvironmentSecrets(ctx, job.environment_id);
    if (!stored) throw new Error(`environment ${job.environment_id} has no stored secrets`);
    secrets = job.job_type === 'site_create'
      ? { pressluft_secret_db_password: stored.db_password, pressluft_secret_admin_password: stored.admin_password }
      : { pressluft_secret_db_password: stored.db_password };
  }
  return {
    type: 'job_dispatch',
    job_id: job.id,
    attempt: job.attempt,
    job_type: job.job_type,
    playbook: PLAYBOOKS[job.job_type],
    vars: jobVars(job),
    secrets,
    reachability: reachabilityExpectation(job),
    timeout_ms: JOB_TIMEOUT_MS[job.job_type],
  };
}
