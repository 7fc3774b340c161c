import { useEffect } from 'preact/hooks';
import type { JobDto, NodeDto, SiteDto } from '@pressluft/shared';
import { JobProgress } from '../components/job-progress.tsx';
import { ErrorBox, Loading } from '../components/states.tsx';
import { useApi } from '../hooks.ts';
import { formatTimestamp, humanize } from '../lib/format.ts';
import { Link } from '../router.tsx';

/** One job: its facts, then the live timeline, reachability report and error context. */
export function JobPage({ id }: { id: string }) {
  const job = useApi<JobDto>(`/api/jobs/${encodeURIComponent(id)}`, (m) => m.type === 'job' && m.id === id);
  const nodes = useApi<NodeDto[]>('/api/nodes', (m) => m.type === 'node');
  const siteId = job.data?.site_id ?? null;
  const site = useApi<SiteDto>(siteId ? `/api/sites/${encodeURIComponent(siteId)}` : null, (m) => m.type === 'site' && m.id === siteId);
  useEffect(() => { document.title = `Job ${id.slice(0, 8)} · Pressluft`; }, [id]);

  if (job.loading) return <Loading label="Loading job…" />;
  if (!job.data) return <ErrorBox error={job.error ?? new Error('Job not found')} retry={job.reload} />;
  const data = job.data;
  const node = nodes.data?.find((n) => n.id === data.node_id);

  return (
    <section>
      <p class="crumbs"><Link href="/jobs">Jobs</Link> / {id.slice(0, 8)}</p>
      <div class="page-head"><h1 data-testid="job-title">{humanize(data.job_type)}</h1></div>
      <dl class="facts facts-wide">
        <dt>Job id</dt><dd class="mono">{data.id}</dd>
        <dt>Site</dt><dd>{data.site_id ? <Link href={`/sites/${data.site_id}`} data-testid="job-site-link">{site.data?.name ?? data.site_id.slice(0, 8)}</Link> : '–'}</dd>
        <dt>Node</dt><dd>{node ? node.name : data.node_id.slice(0, 8)}</dd>
        <dt>Attempt</dt><dd>{data.attempt === 0 ? `not started (of ${data.max_attempts})` : `${data.attempt} of ${data.max_attempts}`}</dd>
        <dt>Created</dt><dd>{formatTimestamp(data.created_at)}</dd>
        <dt>Started</dt><dd>{formatTimestamp(data.started_at)}</dd>
        <dt>Finished</dt><dd>{formatTimestamp(data.finished_at)}</dd>
      </dl>
      <JobProgress jobId={id} linkToJob={false} failureActions={data.site_id && site.data?.status === 'failed' ? (
        <Link href={`/sites/${data.site_id}`} class="btn">Open the site to reset it</Link>
      ) : undefined} />
    </section>
  );
}
