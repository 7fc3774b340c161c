import type { ComponentChildren } from 'preact';
import type { JobDto, JobResultData } from '@pressluft/shared';
import { hintFor } from '../api.ts';

/** Why a job failed (or was cancelled): the stable code and its hint, the message, the failed step and the output tail. */
export function ErrorContext({ job, result, children }: { job: JobDto; result: JobResultData | null; children?: ComponentChildren }) {
  const cancelled = job.status === 'cancelled';
  const code = job.error_code ?? result?.error_code ?? (cancelled ? 'JOB_CANCELLED' : 'unknown');
  const message = job.error_message ?? result?.error_message ?? null;
  const step = job.failed_step ?? result?.failed_step ?? null;
  const tail = job.output_tail ?? result?.output_tail ?? null;
  const hint = hintFor(code);
  return (
    <section class="panel error-context" role="alert" data-testid="error-context">
      <h3>{cancelled ? 'Cancelled' : 'Failed'}: <code data-testid="error-code">{code}</code></h3>
      {message && <p data-testid="error-message">{message}</p>}
      {hint && <p class="hint" data-testid="error-hint">{hint}</p>}
      <dl class="facts">
        <dt>Failed step</dt><dd data-testid="failed-step">{step ?? 'none recorded'}</dd>
        <dt>Attempt</dt><dd>{job.attempt === 0 ? `never ran (of ${job.max_attempts})` : `${job.attempt} of ${job.max_attempts}`}</dd>
      </dl>
      {cancelled && !tail ? null : tail ? <pre class="tail" data-testid="output-tail" tabIndex={0} aria-label="Output tail">{tail}</pre> : <p class="muted">No output was captured.</p>}
      {children && <div class="actions">{children}</div>}
    </section>
  );
}
