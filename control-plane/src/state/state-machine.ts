import {
  canTransition, JOB_TRANSITIONS, RESOURCE_TRANSITIONS,
  type JobStatus, type NodeStatus, type ResourceStatus,
} from '@pressluft/shared';
import type { Tx } from '../context.ts';
import type { JobRow, JobUpdate } from '../db/schema.ts';
import { appendJobEvent } from '../jobs/job-events.ts';

/**
 * The one place where job, site, environment and node statuses change. Every function runs
 * inside the caller's transaction, so a job change and the resource change it causes commit
 * together or not at all.
 */

/** The job moved under our feet (another connection changed it first). */
export class StaleJobError extends Error {}

export class InvalidTransitionError extends Error {}

/** Moves a job to `to`, applies `patch`, and appends its `state` event. Returns the new row. */
export async function transitionJob(tx: Tx, job: JobRow, to: JobStatus, patch: JobUpdate = {}): Promise<JobRow> {
  if (job.status !== to && !canTransition(JOB_TRANSITIONS, job.status, to)) {
    throw new InvalidTransitionError(`job ${job.id}: ${job.status} → ${to} is not allowed`);
  }
  const updated = await tx.db.updateTable('jobs')
    .set({ ...patch, status: to, updated_at: tx.iso })
    .where('id', '=', job.id).where('status', '=', job.status).where('attempt', '=', job.attempt)
    .returningAll().executeTakeFirst();
  if (!updated) throw new StaleJobError(`job ${job.id} changed concurrently`);
  await appendStateEvent(tx, updated);
  tx.notes.push({ type: 'job', id: updated.id, status: updated.status });
  return updated;
}

/** Appends the `state` event describing the job's current status. */
export async function appendStateEvent(tx: Tx, job: JobRow): Promise<void> {
  await appendJobEvent(tx, {
    job_id: job.id,
    attempt: job.attempt,
    type: 'state',
    data: { status: job.status, attempt: job.attempt, ...(job.error_code ? { error_code: job.error_code } : {}) },
  });
}

export type ResourceKind = 'site' | 'environment';

/**
 * Moves a site or environment to `to`. With `onlyFrom`, the move happens only when the
 * resource is currently in one of those statuses (e.g. a create job's success must not
 * revive a resource that is being deleted); returns whether it moved.
 */
export async function transitionResource(
  tx: Tx, kind: ResourceKind, id: string, to: ResourceStatus, onlyFrom?: readonly ResourceStatus[],
): Promise<boolean> {
  const table = kind === 'site' ? 'sites' : 'environments';
  const row = await tx.db.selectFrom(table).select(['status']).where('id', '=', id).executeTakeFirst();
  if (!row) return false;
  if (onlyFrom && !onlyFrom.includes(row.status)) return false;
  if (row.status === to) return true;
  if (!canTransition(RESOURCE_TRANSITIONS, row.status, to)) {
    throw new InvalidTransitionError(`${kind} ${id}: ${row.status} → ${to} is not allowed`);
  }
  await tx.db.updateTable(table).set({ status: to, updated_at: tx.iso }).where('id', '=', id).execute();
  await noteResource(tx, kind, id);
  return true;
}

/** Announces a site or environment change on the bus after commit. */
export async function noteResource(tx: Tx, kind: ResourceKind, id: string): Promise<void> {
  if (kind === 'site') {
    tx.notes.push({ type: 'site', id });
    return;
  }
  const env = await tx.db.selectFrom('environments').select(['site_id']).where('id', '=', id).executeTakeFirst();
  if (env) tx.notes.push({ type: 'environment', id, site_id: env.site_id }, { type: 'site', id: env.site_id });
}

const NODE_TRANSITIONS: Record<NodeStatus, readonly NodeStatus[]> = {
  pending: ['provisioning', 'unreachable', 'failed'],
  provisioning: ['active', 'failed', 'unreachable', 'pending'],
  active: ['provisioning', 'unreachable'],
  unreachable: ['pending', 'provisioning', 'active', 'failed'],
  failed: ['provisioning', 'unreachable'],
};

/** Moves a node to `to` when allowed (with `onlyFrom`: only from those); returns whether it moved. */
export async function transitionNode(
  tx: Tx, nodeId: string, to: NodeStatus, onlyFrom?: readonly NodeStatus[], extra: { provisioned_at?: string } = {},
): Promise<boolean> {
  const row = await tx.db.selectFrom('nodes').select(['status']).where('id', '=', nodeId).executeTakeFirst();
  if (!row) return false;
  if (onlyFrom && !onlyFrom.includes(row.status)) return false;
  if (row.status !== to && !canTransition(NODE_TRANSITIONS, row.status, to)) {
    throw new InvalidTransitionError(`node ${nodeId}: ${row.status} → ${to} is not allowed`);
  }
  await tx.db.updateTable('nodes').set({ status: to, updated_at: tx.iso, ...extra }).where('id', '=', nodeId).execute();
  tx.notes.push({ type: 'node', id: nodeId });
  return true;
}
