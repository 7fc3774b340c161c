import { z } from 'zod';
import { JobType, JobSecrets } from './jobs.ts';
import { ID_PATTERN } from './runtime.ts';

/**
 * The websocket protocol between the control plane and a node agent (path /api/agent/ws,
 * header `Authorization: Bearer <node id>:<credential>`). Every message is JSON validated with
 * these schemas on receipt; an invalid one is answered with an `error` message and logged.
 */
export const PROTOCOL_VERSION = 1;

/** Close codes; 1009 (message too big) is the standard one. */
export const CLOSE_CODES = {
  BAD_CREDENTIAL: 4001,
  SUPERSEDED: 4002,
  PROTOCOL_MISMATCH: 4003,
  HELLO_REQUIRED: 4004,
  TOO_MANY_VIOLATIONS: 4005,
} as const;

export const MAX_MESSAGE_BYTES = 1024 * 1024;

const JobRef = { job_id: z.string().min(1), attempt: z.number().int().min(1) };

export const StepStatus = z.enum(['started', 'ok', 'changed', 'skipped', 'failed']);
export type StepStatus = z.infer<typeof StepStatus>;

/** A step of a playbook run (one Ansible task, or one loop item). */
export const StepEventData = z.object({
  kind: z.literal('step'),
  name: z.string().max(500),
  status: StepStatus,
  duration_ms: z.number().int().min(0).nullable(),
  message: z.string().max(2000).nullable(),
  at: z.string(),
});
export type StepEventData = z.infer<typeof StepEventData>;

export const ReachabilityReport = z.object({
  kind: z.literal('reachability'),
  ok: z.boolean(),
  url: z.string(),
  host: z.string(),
  environment_id: z.string(),
  http_status: z.number().int().nullable(),
  header_environment_id: z.string().nullable(),
  home_url: z.string().nullable(),
  is_wordpress: z.boolean(),
  latency_ms: z.number().int().min(0),
  attempts: z.number().int().min(1),
  reason: z.string().nullable(),
  body_excerpt: z.string().max(500).nullable(),
  at: z.string(),
});
export type ReachabilityReport = z.infer<typeof ReachabilityReport>;

export const JobResultData = z.object({
  kind: z.literal('result'),
  ok: z.boolean(),
  exit_code: z.number().int().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().max(4000).nullable(),
  failed_step: z.string().max(500).nullable(),
  output_tail: z.string().max(8000).nullable(),
  duration_ms: z.number().int().min(0),
  at: z.string(),
});
export type JobResultData = z.infer<typeof JobResultData>;

export const JournaledData = z.discriminatedUnion('kind', [StepEventData, ReachabilityReport, JobResultData]);
export type JournaledData = z.infer<typeof JournaledData>;

// ── node queries ───────────────────────────────────────────────────────────────────────────
// A query asks the node something and waits for the answer (a login token now; health and
// inventory later). Unlike a job it is not queued, journaled or retried, takes no job slot and
// runs while a job runs; an answer that comes after the deadline is dropped.

/** Make a one-time WordPress admin login token in the environment's own PHP-FPM pool. */
export const MagicLoginQuery = z.object({
  kind: z.literal('magic_login'),
  environment_id: z.string().regex(ID_PATTERN),
  /** The environment's current address (scheme, host, port): the Host WordPress sees. */
  address: z.string().url(),
});

export const NodeQuery = z.discriminatedUnion('kind', [MagicLoginQuery]);
export type NodeQuery = z.infer<typeof NodeQuery>;

/** base64url of 32 random bytes; only its sha256 is kept on the node. */
export const MAGIC_LOGIN_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const MagicLoginAnswer = z.object({
  kind: z.literal('magic_login'),
  token: z.string().regex(MAGIC_LOGIN_TOKEN),
  expires_at: z.string().datetime(),
});

export const NodeQueryAnswer = z.discriminatedUnion('kind', [MagicLoginAnswer]);
export type NodeQueryAnswer = z.infer<typeof NodeQueryAnswer>;

/** Why a query failed on the node: `timeout` past its deadline, `failed` with the node's reason, `rejected` not taken. */
export const NodeQueryErrorCode = z.enum(['timeout', 'failed', 'rejected']);
export type NodeQueryErrorCode = z.infer<typeof NodeQueryErrorCode>;

// ── agent → control plane ──────────────────────────────────────────────────────────────────

/** agent → control plane: the first message after connecting. */
export const Hello = z.object({
  type: z.literal('hello'),
  protocol_version: z.number().int(),
  node_id: z.string(),
  agent_version: z.string().max(50),
  hostname: z.string().max(255),
  os: z.string().max(255),
  public_ip: z.string().max(64).nullable(),
  /** Jobs the agent still runs, or finished with events not yet acknowledged. */
  jobs: z.array(z.object({ ...JobRef, running: z.boolean() })),
});

/** agent → control plane: every heartbeat_interval_ms. */
export const Heartbeat = z.object({ type: z.literal('heartbeat'), at: z.string() });

/** agent → control plane: the agent took a dispatched job. */
export const JobAccepted = z.object({ type: z.literal('job_accepted'), ...JobRef });

/** agent → control plane: the agent cannot take a dispatched job (e.g. already busy with another). */
export const JobRejected = z.object({ type: z.literal('job_rejected'), ...JobRef, reason: z.string().max(500) });

/**
 * agent → control plane: a step, the reachability report or the final result. `seq` counts
 * from 1 per job attempt; delivery is at-least-once and ordered, the control plane drops
 * duplicates and acknowledges cumulatively. The result is always the last seq of an attempt.
 */
export const JobEvent = z.object({ type: z.literal('job_event'), ...JobRef, seq: z.number().int().min(1), data: JournaledData });

/** agent → control plane: the answer to one `node_query`, sent once, whatever happened. */
export const NodeQueryResult = z.object({
  type: z.literal('node_query_result'),
  request_id: z.string(),
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), answer: NodeQueryAnswer }),
    z.object({ ok: z.literal(false), code: NodeQueryErrorCode, message: z.string().max(2000) }),
  ]),
});
export type NodeQueryResult = z.infer<typeof NodeQueryResult>;

export const AgentMessage = z.discriminatedUnion('type', [Hello, Heartbeat, JobAccepted, JobRejected, JobEvent, NodeQueryResult, z.object({ type: z.literal('error'), code: z.string(), message: z.string() })]);
export type AgentMessage = z.infer<typeof AgentMessage>;

// ── control plane → agent ──────────────────────────────────────────────────────────────────

/** control plane → agent: answer to a valid hello. */
export const HelloAck = z.object({
  type: z.literal('hello_ack'),
  node_id: z.string(),
  heartbeat_interval_ms: z.number().int().positive(),
  /** Jobs of the hello the control plane no longer wants (failed or cancelled meanwhile): stop them, drop their events. */
  abandon: z.array(z.object(JobRef)),
});

/** What the agent must verify after the playbook for jobs that create a runtime. */
export const ReachabilityExpectation = z.object({
  environment_id: z.string(),
  preview_url: z.string(),
  host: z.string(),
  http_port: z.number().int(),
});
export type ReachabilityExpectation = z.infer<typeof ReachabilityExpectation>;

/** control plane → agent: run a job. Secrets come separately from vars and are never logged. */
export const JobDispatch = z.object({
  type: z.literal('job_dispatch'),
  ...JobRef,
  job_type: JobType,
  playbook: z.string(),
  vars: z.record(z.string(), z.unknown()),
  secrets: JobSecrets,
  reachability: ReachabilityExpectation.nullable(),
  timeout_ms: z.number().int().positive(),
});
export type JobDispatch = z.infer<typeof JobDispatch>;

/** control plane → agent: stop a running job (kills its process group; result JOB_CANCELLED). */
export const JobCancel = z.object({ type: z.literal('job_cancel'), ...JobRef });

/** control plane → agent: every event of this attempt up to and including `seq` is stored. */
export const EventAck = z.object({ type: z.literal('event_ack'), ...JobRef, seq: z.number().int().min(0) });

/**
 * control plane → agent: answer this query within `deadline_ms` of receipt (relative, so the two
 * clocks need not agree). Always answered with one `node_query_result` of the same request id.
 */
export const NodeQueryRequest = z.object({
  type: z.literal('node_query'),
  request_id: z.string().min(1).max(100),
  deadline_ms: z.number().int().positive().max(60_000),
  query: NodeQuery,
});
export type NodeQueryRequest = z.infer<typeof NodeQueryRequest>;

export const ControlPlaneMessage = z.discriminatedUnion('type', [HelloAck, JobDispatch, JobCancel, EventAck, NodeQueryRequest, z.object({ type: z.literal('error'), code: z.string(), message: z.string() })]);
export type ControlPlaneMessage = z.infer<typeof ControlPlaneMessage>;

/** POST /api/nodes/register: a single-use token becomes a long-lived credential. */
export const RegisterNodeRequest = z.strictObject({ token: z.string().min(20).max(200), hostname: z.string().max(255), agent_version: z.string().max(50) });
export const RegisterNodeResponse = z.object({ node_id: z.string(), credential: z.string() });
