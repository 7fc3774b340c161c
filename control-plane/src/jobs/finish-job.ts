import { ERROR_CODES, isErrorCode, type ErrorCode } from '@pressluft/shared';
import type { Tx } from '../context.ts';
import { backoffMs, type RuntimeConfig } from '../config.ts';
import type { JobRow } from '../db/schema.ts';
import { transitionJob } from '../state/state-machine.ts';
import { applyOutcome } from './job-outcomes.ts';

export const OUTPUT_TAIL_CHARS = 8000;

export interface AttemptFailure {
  code: string;
  message: string | null;
  failedStep?: string | null;
  outputTail?: string | null;
}

/** Marks a running job succeeded and moves its resource to its final state, in the caller's transaction. */
export async function completeJob(tx: Tx, job: JobRow, outputTail: string | null = null): Promise<JobRow> {
  const done = await transitionJob(tx, job, 'succeeded', {
    finished_at: tx.iso, lease_expires_at: null, output_tail: outputTail ? outputTail.slice(-OUTPUT_TAIL_CHARS) : null,
  });
  await applyOutcome(tx, done, 'succeeded');
  return done;
}

/**
 * Ends a failed attempt. Retryable codes with attempts left go back to `queued` after the
 * backoff (the resource stays in its in-progress status); otherwise the job is `failed` (or
 * `cancelled` when an operator asked for it) and its resource `failed`.
 */
export async function failAttempt(tx: Tx, config: RuntimeConfig, job: JobRow, failure: AttemptFailure): Promise<JobRow> {
  const code: ErrorCode = isErrorCode(failure.code) ? failure.code : 'ANSIBLE_UNKNOWN_EXIT';
  const fields = {
    error_code: code as string,
    error_message: failure.message ?? ERROR_CODES[code].hint,
    failed_step: failure.failedStep ?? null,
    output_tail: failure.outputTail ? failure.outputTail.slice(-OUTPUT_TAIL_CHARS) : null,
    lease_expires_at: null,
  };
  if (code === 'JOB_CANCELLED' || job.cancel_requested === 1) {
    const cancelled = await transitionJob(tx, job, 'cancelled', {
      ...fields, error_code: 'JOB_CANCELLED', error_message: failure.message ?? 'Cancelled by an operator.', finished_at: tx.iso,
    });
    await applyOutcome(tx, cancelled, 'failed');
    return cancelled;
  }
  if (ERROR_CODES[code].retryable && job.attempt < job.max_attempts) {
    const runAfter = new Date(tx.now.getTime() + backoffMs(config, job.attempt)).toISOString();
    return transitionJob(tx, job, 'queued', { ...fields, run_after: runAfter });
  }
  const failed = await transitionJob(tx, job, 'failed', { ...fields, finished_at: tx.iso });
  await applyOutcome(tx, failed, 'failed');
  return failed;
}

/** Ends a queued job without running it (operator cancel, or its resource was deleted). */
export async function dropQueuedJob(tx: Tx, job: JobRow, code: 'JOB_CANCELLED' | 'JOB_SUPERSEDED'): Promise<JobRow> {
  const message = code === 'JOB_CANCELLED' ? 'Cancelled by an operator before it ran.' : 'The resource was deleted while this job waited.';
  const cancelled = await transitionJob(tx, job, 'cancelled', { error_code: code, error_message: message, finished_at: tx.iso });
  await applyOutcome(tx, cancelled, 'failed');
  return cancelled;
}
