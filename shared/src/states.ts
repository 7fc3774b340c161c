import { z } from 'zod';

export const NODE_STATUSES = ['pending', 'provisioning', 'active', 'unreachable', 'failed'] as const;
export const NodeStatus = z.enum(NODE_STATUSES);
export type NodeStatus = z.infer<typeof NodeStatus>;

export const RESOURCE_STATUSES = ['creating', 'active', 'failed', 'cloning', 'deploying', 'restoring', 'deleting', 'deleted'] as const;
/** Status of a site or an environment. */
export const ResourceStatus = z.enum(RESOURCE_STATUSES);
export type ResourceStatus = z.infer<typeof ResourceStatus>;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Allowed job transitions; running → queued is a retry. */
export const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/**
 * Allowed site/environment transitions. `failed → active` happens only through the reset
 * endpoint, which re-validates; `deleting → failed` when a delete fails for good.
 */
export const RESOURCE_TRANSITIONS: Record<ResourceStatus, readonly ResourceStatus[]> = {
  creating: ['active', 'failed', 'deleting'],
  active: ['cloning', 'deploying', 'restoring', 'deleting'],
  failed: ['active', 'creating', 'deleting'],
  cloning: ['active', 'failed'],
  deploying: ['active', 'failed'],
  restoring: ['active', 'failed'],
  deleting: ['deleted', 'failed'],
  deleted: [],
};

export function canTransition<S extends string>(table: Record<S, readonly S[]>, from: S, to: S): boolean {
  return from === to || table[from].includes(to);
}
