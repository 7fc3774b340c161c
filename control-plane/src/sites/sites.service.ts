import crypto from 'node:crypto';
import type { CreateSiteRequest, CreateSiteResponse } from '@pressluft/shared';
import { inTransaction, type Ctx, type Tx } from '../context.ts';
import type { NodeRow } from '../db/schema.ts';
import { ApiFailure } from '../http/api-error.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { dropQueuedJob } from '../jobs/finish-job.ts';
import { transitionResource } from '../state/state-machine.ts';
import { enqueueCreateJob } from '../environments/create-jobs.ts';
import { insertEnvironment } from '../environments/new-environment.ts';

/** Unique-index violations become 409 conflict (two requests racing for one slug). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The node a new site goes to: the given one or the self-node; it must exist and not be failed. */
async function targetNode(tx: Tx, nodeId: string | undefined): Promise<NodeRow> {
  const query = tx.db.selectFrom('nodes').selectAll();
  const node = await (nodeId ? query.where('id', '=', nodeId) : query.where('is_local', '=', 1)).executeTakeFirst();
  if (!node) throw new ApiFailure('node_unavailable', nodeId ? `node ${nodeId} does not exist` : 'there is no self-node; start `pressluft dev` or pass node_id');
  if (node.status === 'failed') throw new ApiFailure('node_unavailable', `node "${node.name}" failed provisioning; provision it again first`);
  return node;
}

/** Creates the site, its production environment and the site_create job in one transaction. */
export async function createSite(ctx: Ctx, input: CreateSiteRequest): Promise<CreateSiteResponse> {
  try {
    return await inTransaction(ctx, async (tx) => {
      const node = await targetNode(tx, input.node_id);
      const clash = await tx.db.selectFrom('sites').select('id').where('slug', '=', input.slug).where('status', '<>', 'deleted').executeTakeFirst();
      if (clash) throw new ApiFailure('conflict', `slug: "${input.slug}" is already used by another site`);
      const siteId = crypto.randomUUID();
      await tx.db.insertInto('sites').values({
        id: siteId, name: input.name, slug: input.slug, status: 'creating', primary_environment_id: null, created_at: tx.iso, updated_at: tx.iso,
      }).execute();
      const env = await insertEnvironment(ctx, tx, {
        site_id: siteId, name: 'Production', slug: 'production', type: 'production', node, source_environment_id: null, withAdminPassword: true,
      });
      await tx.db.updateTable('sites').set({ primary_environment_id: env.id }).where('id', '=', siteId).execute();
      const job = await enqueueCreateJob(ctx, tx, env, node, input.name);
      tx.notes.push({ type: 'site', id: siteId });
      return { job_id: job.id, site_id: siteId, environment_id: env.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiFailure('conflict', `slug: "${input.slug}" is already used by another site`);
    throw error;
  }
}

/** Marks the site and its environments `deleting`, supersedes their queued jobs and enqueues site_delete. */
export async function deleteSite(ctx: Ctx, siteId: string): Promise<{ job_id: string }> {
  return inTransaction(ctx, async (tx) => {
    const site = await tx.db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst();
    if (!site) throw new ApiFailure('not_found', `site ${siteId} does not exist`);
    if (!['active', 'failed', 'creating'].includes(site.status)) {
      throw new ApiFailure('invalid_state', `site "${site.slug}" is ${site.status}; it cannot be deleted now`);
    }
    const envs = await tx.db.selectFrom('environments').selectAll().where('site_id', '=', siteId).where('status', '<>', 'deleted').execute();
    const busy = envs.find((e) => !['active', 'failed', 'creating', 'deleting'].includes(e.status));
    if (busy) throw new ApiFailure('invalid_state', `environment "${busy.slug}" is ${busy.status}; wait for it to finish`);
    const queued = await tx.db.selectFrom('jobs').selectAll().where('site_id', '=', siteId).where('status', '=', 'queued').execute();
    for (const job of queued) await dropQueuedJob(tx, job, 'JOB_SUPERSEDED');
    await transitionResource(tx, 'site', siteId, 'deleting');
    for (const env of envs) await transitionResource(tx, 'environment', env.id, 'deleting');
    const production = envs.find((e) => e.type === 'production') ?? envs[0];
    const nodeId = production?.node_id ?? (await tx.db.selectFrom('nodes').select('id').where('is_local', '=', 1).executeTakeFirstOrThrow()).id;
    const job = await enqueueJob(tx, ctx.config, {
      job_type: 'site_delete', node_id: nodeId, site_id: siteId, environment_id: null,
      vars: { pressluft_env_ids: envs.map((e) => e.id) },
    });
    return { job_id: job.id };
  });
}

/** failed → creating with a fresh site_create; its success (the re-validation) makes the site active again. */
export async function resetSite(ctx: Ctx, siteId: string): Promise<{ job_id: string }> {
  return inTransaction(ctx, async (tx) => {
    const site = await tx.db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst();
    if (!site) throw new ApiFailure('not_found', `site ${siteId} does not exist`);
    if (site.status !== 'failed') throw new ApiFailure('resource_not_failed', `site "${site.slug}" is ${site.status}, not failed`);
    return { job_id: (await recreateProduction(ctx, tx, site.id)).id };
  });
}

/** Shared by site reset and a production environment's reset. */
export async function recreateProduction(ctx: Ctx, tx: Tx, siteId: string) {
  const site = await tx.db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirstOrThrow();
  const env = await tx.db.selectFrom('environments').selectAll().where('id', '=', site.primary_environment_id ?? '').executeTakeFirst();
  if (!env || env.status === 'deleted') throw new ApiFailure('invalid_state', `site "${site.slug}" has no production environment`);
  const node = await tx.db.selectFrom('nodes').selectAll().where('id', '=', env.node_id).executeTakeFirstOrThrow();
  if (node.status === 'failed') throw new ApiFailure('node_unavailable', `node "${node.name}" failed provisioning; provision it again first`);
  await transitionResource(tx, 'site', site.id, 'creating', ['failed']);
  await transitionResource(tx, 'environment', env.id, 'creating', ['failed']);
  return enqueueCreateJob(ctx, tx, env, node, site.name);
}
