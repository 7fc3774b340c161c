import { z } from 'zod';
import { Slug } from './slug.ts';
import { JobType } from './jobs.ts';
import { JobStatus, NodeStatus, ResourceStatus } from './states.ts';
import { ID_PATTERN } from './runtime.ts';

// Request bodies are strict: an unknown field is a 400 that names it.

// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;
export const Name = z.string().trim().min(1).max(100).regex(NO_CONTROL_CHARS, 'must not contain control characters');
export const Id = z.string().regex(ID_PATTERN, 'must be an id');

// issue_token: answer the session token in the body (for `Authorization: Bearer`) instead of a cookie.
export const LoginRequest = z.strictObject({ email: z.string().email().max(254), password: z.string().min(1).max(200), issue_token: z.boolean().optional() });
export const CreateSiteRequest = z.strictObject({ name: Name, slug: Slug, node_id: Id.optional() });
export const CreateEnvironmentRequest = z.strictObject({
  name: Name,
  slug: Slug,
  type: z.enum(['staging', 'clone']),
  source_environment_id: Id,
});
export const CreateNodeRequest = z.strictObject({ name: Name });
export const ListJobsQuery = z.strictObject({
  status: JobStatus.optional(),
  site_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export type LoginRequest = z.infer<typeof LoginRequest>;
export type CreateSiteRequest = z.infer<typeof CreateSiteRequest>;
export type CreateEnvironmentRequest = z.infer<typeof CreateEnvironmentRequest>;
export type CreateNodeRequest = z.infer<typeof CreateNodeRequest>;

// ── responses ──────────────────────────────────────────────────────────────────────────────

/** `POST /api/login` with `issue_token: true`: the session token for `Authorization: Bearer` (no cookie is set). */
export interface LoginTokenResponse {
  token: string;
  expires_at: string;
}

export interface NodeDto {
  id: string;
  name: string;
  hostname: string | null;
  public_ip: string | null;
  status: NodeStatus;
  is_local: boolean;
  http_port: number;
  agent_version: string | null;
  agent_connected: boolean;
  last_seen_at: string | null;
  created_at: string;
}

export interface EnvironmentDto {
  id: string;
  site_id: string;
  name: string;
  slug: string;
  type: 'production' | 'staging' | 'clone';
  status: ResourceStatus;
  node_id: string;
  source_environment_id: string | null;
  preview_url: string;
  created_at: string;
  updated_at: string;
}

export interface SiteDto {
  id: string;
  name: string;
  slug: string;
  status: ResourceStatus;
  primary_environment_id: string | null;
  created_at: string;
  updated_at: string;
  /** Present on GET /api/sites/:id and in the list. */
  environments?: EnvironmentDto[];
}

export interface JobDto {
  id: string;
  job_type: JobType;
  status: JobStatus;
  site_id: string | null;
  environment_id: string | null;
  node_id: string;
  attempt: number;
  max_attempts: number;
  run_after: string;
  lease_expires_at: string | null;
  /** Why a queued job is not running yet (no agent, another job running, backoff), else null. */
  waiting_reason: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error_code: string | null;
  error_message: string | null;
  failed_step: string | null;
  output_tail: string | null;
}

/** One row of GET /api/jobs/:id/events; `data` is a step, a reachability report or a state change. */
export interface JobEventDto {
  job_id: string;
  seq: number;
  attempt: number;
  type: 'step' | 'reachability' | 'result' | 'state';
  data: Record<string, unknown>;
  created_at: string;
}

/** POST /api/environments/:id/magic-login: a one-time WordPress admin login, valid until `expires_at`. */
export interface MagicLoginResponse { login_url: string; expires_at: string }
export interface CreateSiteResponse { job_id: string; site_id: string; environment_id: string }
export interface CreateEnvironmentResponse { job_id: string; environment_id: string }
export interface JobAcceptedResponse { job_id: string }
export interface CreateNodeResponse { node: NodeDto; registration_token: string; expires_at: string }

/** Messages of the GET /api/events change stream (SSE event name = `type`). */
export type ChangeEvent =
  | { type: 'site'; id: string }
  | { type: 'environment'; id: string; site_id: string }
  | { type: 'job'; id: string; status: JobStatus }
  | { type: 'node'; id: string };
