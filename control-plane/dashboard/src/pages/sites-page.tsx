import { useEffect, useState } from 'preact/hooks';
import type { JobDto, NodeDto, SiteDto } from '@pressluft/shared';
import { CreateSiteForm } from '../components/create-site-form.tsx';
import { ErrorBox, Empty, Loading } from '../components/states.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useApi } from '../hooks.ts';
import { activityLabel, primaryEnvironment, siteActivity, visibleEnvironments } from '../lib/site-activity.ts';
import { Link, navigate } from '../router.tsx';

/** All sites with status, preview link and what is happening to each; "Create site" starts the flow. */
export function SitesPage() {
  const sites = useApi<SiteDto[]>('/api/sites', (m) => m.type === 'site' || m.type === 'environment');
  const jobs = useApi<JobDto[]>('/api/jobs?limit=100', (m) => m.type === 'job');
  const nodes = useApi<NodeDto[]>('/api/nodes', (m) => m.type === 'node');
  const [creating, setCreating] = useState(false);
  useEffect(() => { document.title = 'Sites · Pressluft'; }, []);

  const list = (sites.data ?? []).filter((site) => site.status !== 'deleted');
  return (
    <section>
      <div class="page-head">
        <h1>Sites</h1>
        {!creating && <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="create-site">Create site</button>}
      </div>
      {creating && (
        nodes.data ? (
          nodes.data.length === 0
            ? <ErrorBox error={new Error('There is no node to create the site on. Start `pressluft dev` or add a node first.')} />
            : <CreateSiteForm nodes={nodes.data} onCancel={() => setCreating(false)} onCreated={(created) => navigate(`/sites/${created.site_id}`)} />
        ) : nodes.error ? <ErrorBox error={nodes.error} retry={nodes.reload} /> : <Loading label="Loading nodes…" />
      )}
      {sites.loading ? <Loading label="Loading sites…" /> : sites.error && !sites.data ? <ErrorBox error={sites.error} retry={sites.reload} /> : list.length === 0 ? (
        <Empty>
          <p>No sites yet.</p>
          {!creating && <p><button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>Create your first site</button></p>}
        </Empty>
      ) : (
        <table class="table" data-testid="sites-table">
          <thead><tr><th>Site</th><th>Status</th><th>Preview</th><th>Environments</th><th>Activity</th></tr></thead>
          <tbody>
            {list.map((site) => {
              const env = primaryEnvironment(site);
              const activity = siteActivity(site, jobs.data ?? []);
              const job = activity.active ?? activity.failed;
              return (
                <tr key={site.id} data-testid="site-row" data-site-id={site.id} data-slug={site.slug}>
                  <td data-label="Site"><Link href={`/sites/${site.id}`} data-testid="site-link"><strong>{site.name}</strong></Link><div class="muted">{site.slug}</div></td>
                  <td data-label="Status"><StatusBadge status={site.status} testId="site-status" /></td>
                  <td data-label="Preview">
                    {env ? (site.status === 'active'
                      ? <a href={env.preview_url} target="_blank" rel="noopener noreferrer" data-testid="preview-link">{env.preview_url.replace(/^https?:\/\//, '')}</a>
                      : <span class="muted" title="Available once the site is active">{env.preview_url.replace(/^https?:\/\//, '')}</span>) : '–'}
                  </td>
                  <td data-label="Environments">{visibleEnvironments(site).length}</td>
                  <td data-label="Activity">{job ? <Link href={`/jobs/${job.id}`}>{job.status === 'failed' ? `${activityLabel(job)}: ${job.error_code ?? ''}` : activityLabel(job)}</Link> : <span class="muted">–</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
