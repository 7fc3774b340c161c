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
/** GET /api/jobs/:id/events?after=seq (the SSE form also reads Last-Event-ID). */
export const JobEventsQuery = z.strictObject({ after: z.coerce.number().int().min(0).optional() });

export type LoginRequest = z.infer<typeof LoginRequest>;
export type CreateSiteRequest = z.infer<typeof CreateSiteRequest>;
export type CreateEnvironmentRequest = z.infer<typeof CreateEnvironmentRequest>;
export type CreateNodeRequest = z.infer<typeof CreateNodeRequest>;

// ── responses ──────────────────────────────────────────────────────────────────────────────
// Schemas for the API document; the handlers build these shapes (types are inferred, one source).

const Timestamp = z.string().describe('ISO 8601 timestamp');

/** Every 4xx/5xx body: a stable code from the error registry and a message naming the cause. */
export const ErrorResponse = z.object({ code: z.string(), message: z.string() });

/** `POST /api/login` with `issue_token: true`: the session token for `Authorization: Bearer` (no cookie is set). */
export const LoginTokenResponse = z.object({ token: z.string(), expires_at: Timestamp });
export const SessionUserResponse = z.object({ user: z.object({ id: z.string(), email: z.string() }) });
export const OkResponse = z.object({ ok: z.literal(true) });

export const NodeDto = z.object({
  id: z.string(),
  name: z.string(),
  hostname: z.string().nullable(),
  public_ip: z.string().nullable(),
  status: NodeStatus,
  is_local: z.boolean(),
  http_port: z.number().int(),
  agent_version: z.string().nullable(),
  agent_connected: z.boolean(),
  last_seen_at: Timestamp.nullable(),
  created_at: Timestamp,
});

export const EnvironmentDto = z.object({
  id: z.string(),
  site_id: z.string(),
  name: z.string(),
  slug: z.string(),
  type: z.enum(['production', 'staging', 'clone']),
  status: ResourceStatus,
  node_id: z.string(),
  source_environment_id: z.string().nullable(),
  preview_url: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const SiteDto = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  status: ResourceStatus,
  primary_environment_id: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Present on GET /api/sites/:id and in the list. */
  environments: z.array(EnvironmentDto).optional(),
});

export const JobDto = z.object({
  id: z.string(),
  job_type: JobType,
  status: JobStatus,
  site_id: z.string().nullable(),
  environment_id: z.string().nullable(),
  node_id: z.string(),
  attempt: z.number().int(),
  max_attempts: z.number().int(),
  run_after: Timestamp,
  lease_expires_at: Timestamp.nullable(),
  /** Why a queued job is not running yet (no agent, another job running, backoff), else null. */
  waiting_reason: z.string().nullable(),
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  failed_step: z.string().nullable(),
  output_tail: z.string().nullable(),
});

/** One row of GET /api/jobs/:id/events; `data` is a step, a reachability report or a state change. */
export const JobEventDto = z.object({
  job_id: z.string(),
  seq: z.number().int(),
  attempt: z.number().int(),
  type: z.enum(['step', 'reachability', 'result', 'state']),
  data: z.record(z.string(), z.unknown()),
  created_at: Timestamp,
});

export const MetricsResponse = z.object({
  jobs_running: z.number().int(),
  jobs_queued: z.number().int(),
  nodes_active: z.number().int(),
  sites_total: z.number().int(),
  agents_connected: z.number().int(),
});

/** POST /api/environments/:id/magic-login: a one-time WordPress admin login, valid until `expires_at`. */
export const MagicLoginResponse = z.object({ login_url: z.string(), expires_at: Timestamp });
export const CreateSiteResponse = z.object({ job_id: z.string(), site_id: z.string(), environment_id: z.string() });
export const CreateEnvironmentResponse = z.object({ job_id: z.string(), environment_id: z.string() });
export const JobAcceptedResponse = z.object({ job_id: z.string() });
export const CreateNodeResponse = z.object({ node: NodeDto, registration_token: z.string(), expires_at: Timestamp });

export type LoginTokenResponse = z.infer<typeof LoginTokenResponse>;
export type NodeDto = z.infer<typeof NodeDto>;
export type EnvironmentDto = z.infer<typeof EnvironmentDto>;
export type SiteDto = z.infer<typeof SiteDto>;
export type JobDto = z.infer<typeof JobDto>;
export type JobEventDto = z.infer<typeof JobEventDto>;
export type MagicLoginResponse = z.infer<typeof MagicLoginResponse>;
export type CreateSiteResponse = z.infer<typeof CreateSiteResponse>;
export type CreateEnvironmentResponse = z.infer<typeof CreateEnvironmentResponse>;
export type JobAcceptedResponse = z.infer<typeof JobAcceptedResponse>;
export type CreateNodeResponse = z.infer<typeof CreateNodeResponse>;

/** Messages of the GET /api/events change stream (SSE event name = `type`). */
export type ChangeEvent =
  | { type: 'site'; id: string }
  | { type: 'environment'; id: string; site_id: string }
  | { type: 'job'; id: string; status: JobStatus }
  | { type: 'node'; id: string };
