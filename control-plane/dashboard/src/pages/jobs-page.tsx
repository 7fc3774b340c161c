import { useEffect, useState } from 'preact/hooks';
import type { JobDto, JobStatus, SiteDto } from '@pressluft/shared';
import { JobsTable } from '../components/jobs-table.tsx';
import { ErrorBox, Loading } from '../components/states.tsx';
import { useApi } from '../hooks.ts';

const FILTERS: (JobStatus | 'all')[] = ['all', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** Running jobs first, then recent ones; a status filter narrows the list. */
export function JobsPage() {
  const [filter, setFilter] = useState<JobStatus | 'all'>('all');
  const jobs = useApi<JobDto[]>(`/api/jobs?limit=100${filter === 'all' ? '' : `&status=${filter}`}`, (m) => m.type === 'job');
  const sites = useApi<SiteDto[]>('/api/sites', (m) => m.type === 'site');
  useEffect(() => { document.title = 'Jobs · Pressluft'; }, []);

  const siteNames = new Map((sites.data ?? []).map((site) => [site.id, site.name]));
  const all = jobs.data ?? [];
  const active = all.filter((job) => job.status === 'queued' || job.status === 'running');
  const recent = all.filter((job) => job.status !== 'queued' && job.status !== 'running');

  return (
    <section>
      <div class="page-head">
        <h1>Jobs</h1>
        <span class="spacer" />
        <label class="inline">
          Status{' '}
          <select value={filter} onChange={(e) => setFilter(e.currentTarget.value as JobStatus | 'all')} data-testid="jobs-filter">
            {FILTERS.map((value) => <option key={value} value={value}>{value}</option>)}
          </select>
        </label>
      </div>
      {jobs.loading ? <Loading label="Loading jobs…" /> : jobs.error && !jobs.data ? <ErrorBox error={jobs.error} retry={jobs.reload} /> : filter === 'all' ? (
        <>
          <h2>Running and queued</h2>
          <JobsTable jobs={active} siteNames={siteNames} empty="Nothing is running." testId="active-jobs" />
          <h2>Recent</h2>
          <JobsTable jobs={recent} siteNames={siteNames} empty="No finished jobs yet." testId="recent-jobs" />
        </>
      ) : (
        <JobsTable jobs={all} siteNames={siteNames} empty={`No ${filter} jobs.`} />
      )}
    </section>
  );
}
