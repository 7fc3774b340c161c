import type { CreateEnvironmentRequest, CreateEnvironmentResponse } from '@pressluft/shared';
import { inTransaction, type Ctx } from '../context.ts';
import { ApiFailure } from '../http/api-error.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { dropQueuedJob } from '../jobs/finish-job.ts';
import { transitionResource } from '../state/state-machine.ts';
import { isUniqueViolation, recreateProduction } from '../sites/sites.service.ts';
import { enqueueCreateJob } from './create-jobs.ts';
import { insertEnvironment } from './new-environment.ts';

/** A staging or clone copy of an active environment of the same site, on the source's node. */
export async function createEnvironment(ctx: Ctx, siteId: string, input: CreateEnvironmentRequest): Promise<CreateEnvironmentResponse> {
  try {
    return await inTransaction(ctx, async (tx) => {
      const site = await tx.db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst();
      if (!site || site.status === 'deleted') throw new ApiFailure('not_found', `site ${siteId} does not exist`);
      if (site.status !== 'active') throw new ApiFailure('invalid_state', `site "${site.slug}" is ${site.status}; it must be active`);
      const source = await tx.db.selectFrom('environments').selectAll().where('id', '=', input.source_environment_id).executeTakeFirst();
      if (!source || source.site_id !== siteId) throw new ApiFailure('bad_request', 'source_environment_id: not an environment of this site');
      if (source.status !== 'active') throw new ApiFailure('invalid_state', `source environment "${source.slug}" is ${source.status}; it must be active`);
      const node = await tx.db.selectFrom('nodes').selectAll().where('id', '=', source.node_id).executeTakeFirstOrThrow();
      if (node.status === 'failed') throw new ApiFailure('node_unavailable', `node "${node.name}" failed provisioning`);
      const clash = await tx.db.selectFrom('environments').select('id').where('site_id', '=', siteId).where('slug', '=', input.slug).where('status', '<>', 'deleted').executeTakeFirst();
      if (clash) throw new ApiFailure('conflict', `slug: "${input.slug}" is already used in this site`);
      const env = await insertEnvironment(ctx, tx, {
        site_id: siteId, name: input.name, slug: input.slug, type: input.type, node, source_environment_id: source.id, withAdminPassword: false,
      });
      const job = await enqueueCreateJob(ctx, tx, env, node, site.name);
      return { job_id: job.id, environment_id: env.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiFailure('conflict', `slug: "${input.slug}" is already used in this site`);
    throw error;
  }
}

/** Non-production environments only: production goes with its site. */
export async function deleteEnvironment(ctx: Ctx, envId: string): Promise<{ job_id: string }> {
  return inTransaction(ctx, async (tx) => {
    const env = await tx.db.selectFrom('environments').selectAll().where('id', '=', envId).executeTakeFirst();
    if (!env) throw new ApiFailure('not_found', `environment ${envId} does not exist`);
    if (env.type === 'production') throw new ApiFailure('invalid_state', 'the production environment goes with its site: delete the site');
    if (!['active', 'failed', 'creating'].includes(env.status)) {
      throw new ApiFailure('invalid_state', `environment "${env.slug}" is ${env.status}; it cannot be deleted now`);
    }
    const queued = await tx.db.selectFrom('jobs').selectAll().where('environment_id', '=', envId).where('status', '=', 'queued').execute();
    for (const job of queued) await dropQueuedJob(tx, job, 'JOB_SUPERSEDED');
    await transitionResource(tx, 'environment', envId, 'deleting');
    const job = await enqueueJob(tx, ctx.config, {
      job_type: 'env_delete', node_id: env.node_id, site_id: env.site_id, environment_id: env.id, vars: { pressluft_env_id: env.id },
    });
    return { job_id: job.id };
  });
}

/** failed → creating and the create job again (site_create for production). */
export async function resetEnvironment(ctx: Ctx, envId: string): Promise<{ job_id: string }> {
  return inTransaction(ctx, async (tx) => {
    const env = await tx.db.selectFrom('environments').selectAll().where('id', '=', envId).executeTakeFirst();
    if (!env) throw new ApiFailure('not_found', `environment ${envId} does not exist`);
    if (env.status !== 'failed') throw new ApiFailure('resource_not_failed', `environment "${env.slug}" is ${env.status}, not failed`);
    if (env.type === 'production') return { job_id: (await recreateProduction(ctx, tx, env.site_id)).id };
    const site = await tx.db.selectFrom('sites').selectAll().where('id', '=', env.site_id).executeTakeFirstOrThrow();
    const node = await tx.db.selectFrom('nodes').selectAll().where('id', '=', env.node_id).executeTakeFirstOrThrow();
    if (node.status === 'failed') throw new ApiFailure('node_unavailable', `node "${node.name}" failed provisioning`);
    await transitionResource(tx, 'environment', env.id, 'creating', ['failed']);
    return { job_id: (await enqueueCreateJob(ctx, tx, env, node, site.name)).id };
  });
}
