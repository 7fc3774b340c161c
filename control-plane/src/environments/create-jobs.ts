import type { Ctx, Tx } from '../context.ts';
import type { EnvironmentRow, JobRow, NodeRow } from '../db/schema.ts';
import { adminEmail } from '../auth/admin-bootstrap.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { previewHost } from './new-environment.ts';

/** Enqueues the job that builds an environment's runtime: site_create for production, env_create otherwise. */
export async function enqueueCreateJob(ctx: Ctx, tx: Tx, env: EnvironmentRow, node: NodeRow, siteName: string): Promise<JobRow> {
  const common = {
    pressluft_env_id: env.id,
    pressluft_preview_url: env.preview_url,
    pressluft_preview_host: previewHost(env.preview_url),
    pressluft_http_port: node.http_port,
  };
  if (env.type === 'production') {
    return enqueueJob(tx, ctx.config, {
      job_type: 'site_create', node_id: node.id, site_id: env.site_id, environment_id: env.id,
      vars: { ...common, pressluft_site_name: siteName, pressluft_admin_user: 'admin', pressluft_admin_email: await adminEmail(tx.db) },
    });
  }
  return enqueueJob(tx, ctx.config, {
    job_type: 'env_create', node_id: node.id, site_id: env.site_id, environment_id: env.id,
    vars: { ...common, pressluft_source_env_id: env.source_environment_id },
  });
}
