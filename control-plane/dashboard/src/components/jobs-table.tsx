import type { JobDto } from '@pressluft/shared';
import { useNow } from '../hooks.ts';
import { formatDuration, formatRelative, formatTimestamp, humanize, jobElapsedMs } from '../lib/format.ts';
import { Link } from '../router.tsx';
import { Empty } from './states.tsx';
import { StatusBadge } from './status-badge.tsx';

interface Props {
  jobs: JobDto[];
  empty: string;
  /** Site names by id; when given, a Site column links each job's site. */
  siteNames?: Map<string, string>;
  testId?: string;
}

/** Jobs newest first with status, timing, attempts and, for failures, the error code. */
export function JobsTable({ jobs, empty, siteNames, testId = 'jobs-table' }: Props) {
  const now = useNow(1000);
  if (jobs.length === 0) return <Empty><p>{empty}</p></Empty>;
  return (
    <table class="table" data-testid={testId}>
      <thead>
        <tr><th>Job</th><th>Status</th>{siteNames && <th>Site</th>}<th>Created</th><th>Duration</th><th>Details</th></tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-testid="job-row" data-job-id={job.id} data-job-type={job.job_type} data-status={job.status}>
            <td data-label="Job"><Link href={`/jobs/${job.id}`}>{humanize(job.job_type)}</Link><div class="muted mono">{job.id.slice(0, 8)}</div></td>
            <td data-label="Status"><StatusBadge status={job.status} /></td>
            {siteNames && (
              <td data-label="Site">{job.site_id ? <Link href={`/sites/${job.site_id}`}>{siteNames.get(job.site_id) ?? job.site_id.slice(0, 8)}</Link> : '–'}</td>
            )}
            <td data-label="Created"><time dateTime={job.created_at} title={formatTimestamp(job.created_at)}>{formatRelative(job.created_at, now)}</time></td>
            <td data-label="Duration">{formatDuration(jobElapsedMs(job, now))}</td>
            <td data-label="Details">
              {job.status === 'failed' && <code class="error-code">{job.error_code}</code>}
              {job.status === 'queued' && job.waiting_reason && <span class="muted">{job.waiting_reason}</span>}
              {job.attempt > 1 && <span class="muted"> attempt {job.attempt}/{job.max_attempts}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
