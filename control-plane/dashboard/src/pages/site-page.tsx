import { useEffect, useState } from 'preact/hooks';
import type { JobAcceptedResponse, JobDto, NodeDto, SiteDto } from '@pressluft/shared';
import { api } from '../api.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { CreateEnvironmentForm } from '../components/create-environment-form.tsx';
import { EnvironmentsTable } from '../components/environments-table.tsx';
import { JobProgress } from '../components/job-progress.tsx';
import { JobsTable } from '../components/jobs-table.tsx';
import { ErrorBox, Loading } from '../components/states.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { WpAdminButton } from '../components/wp-admin-button.tsx';
import { useApi } from '../hooks.ts';
import { primaryEnvironment, siteActivity, visibleEnvironments } from '../lib/site-activity.ts';
import { Link } from '../router.tsx';

/** A site: its preview link, live activity (steps, failure and reset), environments and jobs. */
export function SitePage({ id }: { id: string }) {
  const site = useApi<SiteDto>(`/api/sites/${encodeURIComponent(id)}`,
    (m) => (m.type === 'site' && m.id === id) || (m.type === 'environment' && m.site_id === id) || m.type === 'job');
  const jobs = useApi<JobDto[]>(`/api/jobs?site_id=${encodeURIComponent(id)}&limit=50`, (m) => m.type === 'job');
  const nodes = useApi<NodeDto[]>('/api/nodes', (m) => m.type === 'node');
  // The job shown in the activity panel; it stays after finishing so its result remains readable.
  const [shownJobId, setShownJobId] = useState<string | null>(null);
  const [creatingEnv, setCreatingEnv] = useState(false);

  useEffect(() => { setShownJobId(null); setCreatingEnv(false); }, [id]);
  useEffect(() => { if (site.data) document.title = `${site.data.name} · Pressluft`; }, [site.data?.name]);

  const activity = site.data && jobs.data ? siteActivity(site.data, jobs.data) : null;
  useEffect(() => {
    if (activity?.active && activity.active.id !== shownJobId) setShownJobId(activity.active.id);
    else if (!shownJobId && activity?.failed) setShownJobId(activity.failed.id);
  }, [activity?.active?.id, activity?.failed?.id]);

  if (site.loading) return <Loading label="Loading site…" />;
  if (!site.data) return <ErrorBox error={site.error ?? new Error('Site not found')} retry={site.reload} />;
  const data = site.data;
  const primary = primaryEnvironment(data);
  const environments = visibleEnvironments(data);
  const nodeNames = new Map((nodes.data ?? []).map((node) => [node.id, node.name]));

  const started = (jobId: string) => { setShownJobId(jobId); site.reload(); jobs.reload(); };
  const reset = async () => {
    const target = activity?.resetTarget;
    if (!target) return;
    const path = target.kind === 'site' ? `/api/sites/${encodeURIComponent(target.id)}/reset` : `/api/environments/${encodeURIComponent(target.id)}/reset`;
    started((await api<JobAcceptedResponse>('POST', path)).job_id);
  };
  const shownFailedIsCurrent = !!activity?.failed && activity.failed.id === shownJobId;

  return (
    <section>
      <p class="crumbs"><Link href="/sites">Sites</Link> / {data.slug}</p>
      <div class="page-head">
        <h1 data-testid="site-title">{data.name}</h1>
        <StatusBadge status={data.status} testId="site-status" />
        <span class="spacer" />
        {activity?.resetTarget && !activity.active && !shownFailedIsCurrent && (
          <ConfirmButton label="Reset" danger={false} testId="reset" confirmLabel="Reset and retry"
            title={activity.resetTarget.kind === 'site' ? `Reset ${data.name}?` : `Reset environment ${activity.resetTarget.name}?`} onConfirm={reset}>
            <p>Runs the create job again with fresh attempts. It becomes active only when its preview URL answers.</p>
          </ConfirmButton>
        )}
        {data.status !== 'deleting' && data.status !== 'deleted' && (
          <ConfirmButton label="Delete site" title={`Delete ${data.name}?`} confirmLabel="Delete site" testId="delete-site"
            onConfirm={async () => started((await api<JobAcceptedResponse>('DELETE', `/api/sites/${encodeURIComponent(id)}`)).job_id)}>
            <p>This removes every environment of the site from its node: files, database, PHP pool and web server config. It cannot be undone.</p>
          </ConfirmButton>
        )}
      </div>
      {data.status === 'deleted' && <p class="notice">This site was deleted. <Link href="/sites">Back to the sites</Link></p>}
      {primary && (
        <p class="preview">
          Preview:{' '}
          {data.status === 'active'
            ? <a href={primary.preview_url} target="_blank" rel="noopener noreferrer" data-testid="site-preview-link">{primary.preview_url}</a>
            : <span class="muted" data-testid="site-preview-pending">{primary.preview_url} (available once the site is active)</span>}
          {data.status === 'active' && primary.status === 'active' && <>{' '}<WpAdminButton environmentId={primary.id} testId="site-wp-admin" /></>}
        </p>
      )}

      {shownJobId && (
        <section class="panel" aria-labelledby="activity-title" data-testid="site-activity">
          <div class="panel-head">
            <h2 id="activity-title">Activity</h2>
            <span class="spacer" />
            {!(activity?.active && activity.active.id === shownJobId) && (
              <button type="button" class="btn btn-quiet" onClick={() => setShownJobId(null)} aria-label="Hide activity">Hide</button>
            )}
          </div>
          <JobProgress jobId={shownJobId} failureActions={shownFailedIsCurrent && activity?.resetTarget ? (
            <ConfirmButton label="Reset" danger={false} testId="reset" confirmLabel="Reset and retry"
              title={activity.resetTarget.kind === 'site' ? `Reset ${data.name}?` : `Reset environment ${activity.resetTarget.name}?`} onConfirm={reset}>
              <p>Runs the create job again with fresh attempts. The {activity.resetTarget.kind === 'site' ? 'site' : 'environment'} becomes active only when its preview URL answers.</p>
            </ConfirmButton>
          ) : undefined} />
        </section>
      )}

      <div class="page-head">
        <h2>Environments</h2>
        <span class="spacer" />
        {!creatingEnv && data.status === 'active' && (
          <button type="button" class="btn btn-primary" onClick={() => setCreatingEnv(true)} data-testid="create-env">Create environment</button>
        )}
      </div>
      {creatingEnv && (
        <CreateEnvironmentForm siteId={id} sources={environments.filter((env) => env.status === 'active')} defaultSourceId={primary?.id ?? null}
          onCancel={() => setCreatingEnv(false)} onCreated={(created) => { setCreatingEnv(false); started(created.job_id); }} />
      )}
      <EnvironmentsTable site={data} environments={environments} nodeNames={nodeNames} onJob={started} />

      <h2>Jobs</h2>
      {jobs.error && !jobs.data ? <ErrorBox error={jobs.error} retry={jobs.reload} /> : jobs.data ? <JobsTable jobs={jobs.data} empty="No jobs for this site yet." /> : <Loading />}
    </section>
  );
}
