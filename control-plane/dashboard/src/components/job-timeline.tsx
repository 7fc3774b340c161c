import type { JobStatus } from '@pressluft/shared';
import { formatDuration } from '../lib/format.ts';
import type { TimelineRow } from '../lib/timeline.ts';
import { StatusBadge } from './status-badge.tsx';

/** The step timeline; a step still `started` after the job ended shows as interrupted. */
export function JobTimeline({ rows, jobStatus }: { rows: TimelineRow[]; jobStatus: JobStatus | null }) {
  const terminal = jobStatus === 'succeeded' || jobStatus === 'failed' || jobStatus === 'cancelled';
  if (rows.length === 0) {
    return <p class="muted" data-testid="timeline-empty">{terminal ? 'No steps were recorded.' : 'Waiting for the first step…'}</p>;
  }
  return (
    <ol class="timeline" data-testid="timeline" aria-live="polite">
      {rows.map((row) => {
        if (row.kind === 'attempt') return <li key={row.key} class="timeline-attempt">Attempt {row.attempt}</li>;
        const status = row.status === 'started' && terminal ? 'interrupted' : row.status;
        return (
          <li key={row.key} class={`timeline-row step-${status}`} data-testid="step-row" data-status={status} data-step={row.name}>
            <StatusBadge status={status} testId="step-status" />
            <span class="step-name">{row.name}</span>
            <span class="step-duration">{row.status === 'started' ? '' : formatDuration(row.durationMs)}</span>
            {row.message && row.status === 'failed' && <pre class="step-message">{row.message}</pre>}
          </li>
        );
      })}
    </ol>
  );
}
