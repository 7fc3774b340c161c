import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { JobDto } from '@pressluft/shared';
import { api, ApiError } from '../api.ts';
import { useApi, useJobEvents, useNow } from '../hooks.ts';
import { formatDuration, humanize, jobElapsedMs } from '../lib/format.ts';
import { foldTimeline, stepSummary } from '../lib/timeline.ts';
import { Link } from '../router.tsx';
import { ErrorContext } from './error-context.tsx';
import { JobTimeline } from './job-timeline.tsx';
import { ReachabilityPanel } from './reachability-report.tsx';
import { ErrorBox, Loading } from './states.tsx';
import { StatusBadge } from './status-badge.tsx';

interface Props {
  jobId: string;
  /** Show a link to the job's own page (off on that page). */
  linkToJob?: boolean;
  /** Actions offered with the error context of a failed job (e.g. Reset). */
  failureActions?: ComponentChildren;
}

/** A job, live: status, its step timeline as it streams, the reachability report and, on failure, the error context. */
export function JobProgress({ jobId, linkToJob = true, failureActions }: Props) {
  const job = useApi<JobDto>(`/api/jobs/${encodeURIComponent(jobId)}`, (m) => m.type === 'job' && m.id === jobId);
  const stream = useJobEvents(jobId);
  const timeline = useMemo(() => foldTimeline(stream.events), [stream.events]);
  const now = useNow(1000);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const { reload } = job;

  // The stream's end means the job is terminal: make sure the status shown says so too.
  useEffect(() => { if (stream.ended) reload(); }, [stream.ended, reload]);

  if (job.loading) return <Loading label="Loading job…" />;
  if (!job.data) return <ErrorBox error={job.error ?? new Error('Job not found')} retry={reload} />;
  const data = job.data;
  const summary = stepSummary(timeline.rows);
  const cancellable = data.status === 'queued' || data.status === 'running';

  const cancel = async () => {
    setCancelling(true);
    setCancelError(null);
    try {
      await api('POST', `/api/jobs/${encodeURIComponent(jobId)}/cancel`);
      reload();
    } catch (err) {
      setCancelError(err as ApiError);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <div class="job-progress" data-testid="job-progress" data-job-id={jobId} data-job-status={data.status}>
      <div class="job-head">
        <StatusBadge status={data.status} testId="job-status" />
        <strong>{humanize(data.job_type)}</strong>
        <span class="muted">
          {summary.total > 0 && `${summary.done}/${summary.total} steps · `}
          {formatDuration(jobElapsedMs(data, now))}
          {data.attempt > 1 && ` · attempt ${data.attempt} of ${data.max_attempts}`}
        </span>
        <span class="spacer" />
        {linkToJob && <Link href={`/jobs/${jobId}`} data-testid="job-link">Job details</Link>}
        {cancellable && (
          <button type="button" class="btn" onClick={cancel} disabled={cancelling} data-testid="cancel-job">
            {cancelling ? 'Cancelling…' : 'Cancel job'}
          </button>
        )}
      </div>
      {data.status === 'queued' && data.waiting_reason && <p class="notice" data-testid="waiting-reason">Waiting: {data.waiting_reason}</p>}
      {cancellable && data.error_code && (
        <p class="notice" data-testid="retry-notice">
          An earlier attempt failed with <code>{data.error_code}</code>{data.failed_step ? ` at “${data.failed_step}”` : ''}; {data.status === 'queued' ? 'it will be retried.' : 'retrying.'}
        </p>
      )}
      {cancelError && <ErrorBox error={cancelError} />}
      <JobTimeline rows={timeline.rows} jobStatus={data.status} />
      {timeline.reachability && <ReachabilityPanel report={timeline.reachability} />}
      {(data.status === 'failed' || data.status === 'cancelled') && <ErrorContext job={data} result={timeline.result}>{failureActions}</ErrorContext>}
    </div>
  );
}
