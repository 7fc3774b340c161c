import type { EnvironmentDto, JobDto, NodeDto, SiteDto } from '@pressluft/shared';
import type { Ctx } from '../context.ts';
import type { EnvironmentRow, JobRow, NodeRow, SiteRow } from '../db/schema.ts';

export function toNodeDto(row: NodeRow, agentConnected: boolean): NodeDto {
  return {
    id: row.id, name: row.name, hostname: row.hostname, public_ip: row.public_ip, status: row.status,
    is_local: row.is_local === 1, http_port: row.http_port, agent_version: row.agent_version,
    agent_connected: agentConnected, last_seen_at: row.last_seen_at, created_at: row.created_at,
  };
}

export function toEnvironmentDto(row: EnvironmentRow): EnvironmentDto {
  return {
    id: row.id, site_id: row.site_id, name: row.name, slug: row.slug, type: row.type, status: row.status,
    node_id: row.node_id, source_environment_id: row.source_environment_id, preview_url: row.preview_url,
    created_at: row.created_at, updated_at: row.updated_at,
  };
}

export function toSiteDto(row: SiteRow, environments?: EnvironmentRow[]): SiteDto {
  return {
    id: row.id, name: row.name, slug: row.slug, status: row.status, primary_environment_id: row.primary_environment_id,
    created_at: row.created_at, updated_at: row.updated_at,
    ...(environments ? { environments: environments.map(toEnvironmentDto) } : {}),
  };
}

/** Why a queued job is not running yet, in words an operator can act on. */
export async function waitingReason(ctx: Ctx, job: JobRow): Promise<string | null> {
  if (job.status !== 'queued') return null;
  const node = await ctx.db.selectFrom('nodes').select(['name', 'status']).where('id', '=', job.node_id).executeTakeFirst();
  const nodeName = node?.name ?? job.node_id;
  if (!ctx.sessions.isConnected(job.node_id)) return `Waiting for the agent of node "${nodeName}" to connect.`;
  if (job.run_after > ctx.clock.now().toISOString()) {
    return `Attempt ${job.attempt} failed (${job.error_code ?? 'error'}); retrying at ${job.run_after}.`;
  }
  if (job.job_type !== 'node_provision' && node?.status !== 'active') {
    return `Waiting for node "${nodeName}" to be provisioned (it is ${node?.status ?? 'missing'}).`;
  }
  const busyNode = await ctx.db.selectFrom('jobs').select('id').where('node_id', '=', job.node_id).where('status', '=', 'running').executeTakeFirst();
  if (busyNode) return `Waiting for another job on node "${nodeName}" to finish.`;
  if (job.site_id) {
    const busySite = await ctx.db.selectFrom('jobs').select('id').where('site_id', '=', job.site_id).where('status', '=', 'running').executeTakeFirst();
    if (busySite) return 'Waiting for another job of this site to finish.';
  }
  return 'Waiting to be dispatched.';
}

export async function toJobDto(ctx: Ctx, row: JobRow): Promise<JobDto> {
  return {
    id: row.id, job_type: row.job_type, status: row.status, site_id: row.site_id, environment_id: row.environment_id,
    node_id: row.node_id, attempt: row.attempt, max_attempts: row.max_attempts, run_after: row.run_after,
    lease_expires_at: row.lease_expires_at, waiting_reason: await waitingReason(ctx, row), created_at: row.created_at,
    started_at: row.started_at, finished_at: row.finished_at, error_code: row.error_code, error_message: row.error_message,
    failed_step: row.failed_step, output_tail: row.output_tail,
  };
}
