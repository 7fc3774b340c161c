import type { EnvironmentDto, JobAcceptedResponse, SiteDto } from '@pressluft/shared';
import { api } from '../api.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { Empty } from './states.tsx';
import { StatusBadge } from './status-badge.tsx';
import { WpAdminButton } from './wp-admin-button.tsx';

interface Props {
  site: SiteDto;
  environments: EnvironmentDto[];
  nodeNames: Map<string, string>;
  /** Called with the job a delete or reset started. */
  onJob: (jobId: string) => void;
}

/** A site's environments with type, status, preview URL and node; active ones open WP Admin, non-production ones can be deleted. */
export function EnvironmentsTable({ site, environments, nodeNames, onJob }: Props) {
  if (environments.length === 0) return <Empty><p>No environments.</p></Empty>;
  return (
    <table class="table" data-testid="environments-table">
      <thead><tr><th>Environment</th><th>Type</th><th>Status</th><th>Preview</th><th>Node</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>
        {environments.map((env) => {
          const enc = encodeURIComponent(env.id);
          const isPrimary = env.id === site.primary_environment_id || env.type === 'production';
          return (
            <tr key={env.id} data-testid="env-row" data-env-id={env.id} data-env-type={env.type} data-slug={env.slug}>
              <td data-label="Environment"><strong>{env.name}</strong><div class="muted">{env.slug}</div></td>
              <td data-label="Type">{env.type}</td>
              <td data-label="Status"><StatusBadge status={env.status} testId="env-status" /></td>
              <td data-label="Preview">
                {env.status === 'active'
                  ? <a href={env.preview_url} target="_blank" rel="noopener noreferrer" data-testid="env-preview-link">{env.preview_url}</a>
                  : <span class="muted">{env.preview_url}</span>}
              </td>
              <td data-label="Node">{nodeNames.get(env.node_id) ?? env.node_id.slice(0, 8)}</td>
              <td data-label="Actions"><div class="row-actions">
                {env.status === 'active' && <WpAdminButton environmentId={env.id} testId={`wp-admin-${env.slug}`} />}
                {!isPrimary && env.status === 'failed' && (
                  <ConfirmButton label="Reset" danger={false} title={`Reset ${env.name}?`} confirmLabel="Reset and retry" testId={`reset-env-${env.slug}`}
                    onConfirm={async () => onJob((await api<JobAcceptedResponse>('POST', `/api/environments/${enc}/reset`)).job_id)}>
                    <p>Runs the environment's create job again; it becomes active only when its preview URL answers.</p>
                  </ConfirmButton>
                )}
                {!isPrimary && env.status !== 'deleting' && (
                  <ConfirmButton label="Delete" title={`Delete ${env.name}?`} confirmLabel="Delete environment" testId={`delete-env-${env.slug}`}
                    onConfirm={async () => onJob((await api<JobAcceptedResponse>('DELETE', `/api/environments/${enc}`)).job_id)}>
                    <p>This removes the environment's files, database, PHP pool and web server config from its node. It cannot be undone.</p>
                  </ConfirmButton>
                )}
              </div></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
