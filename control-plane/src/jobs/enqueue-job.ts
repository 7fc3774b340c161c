import crypto from 'node:crypto';
import { JOB_VARS_SCHEMAS, type JobType } from '@pressluft/shared';
import type { Tx } from '../context.ts';
import type { RuntimeConfig } from '../config.ts';
import type { JobRow } from '../db/schema.ts';
import { appendStateEvent } from '../state/state-machine.ts';

export interface EnqueueJobInput {
  job_type: JobType;
  node_id: string;
  site_id: string | null;
  environment_id: string | null;
  vars: Record<string, unknown>;
}

/**
 * Inserts a queued job inside the caller's transaction (the one that creates or changes the
 * resource). Vars are validated against the job type's schema: a mismatch is a programmer
 * error and aborts the whole transaction.
 */
export async function enqueueJob(tx: Tx, config: RuntimeConfig, input: EnqueueJobInput): Promise<JobRow> {
  const vars = JOB_VARS_SCHEMAS[input.job_type].parse(input.vars);
  const job = await tx.db.insertInto('jobs').values({
    id: crypto.randomUUID(),
    job_type: input.job_type,
    status: 'queued',
    site_id: input.site_id,
    environment_id: input.environment_id,
    node_id: input.node_id,
    payload: JSON.stringify({ vars }),
    attempt: 0,
    max_attempts: config.maxAttempts,
    run_after: tx.iso,
    lease_expires_at: null,
    cancel_requested: 0,
    created_at: tx.iso,
    updated_at: tx.iso,
    started_at: null,
    finished_at: null,
    error_code: null,
    error_message: null,
    failed_step: null,
    output_tail: null,
  }).returningAll().executeTakeFirstOrThrow();
  await appendStateEvent(tx, job);
  tx.notes.push({ type: 'job', id: job.id, status: job.status });
  return job;
}

export function jobVars(job: JobRow): Record<string, unknown> {
  return (JSON.parse(job.payload) as { vars: Record<string, unknown> }).vars;
}
