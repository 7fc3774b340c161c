import type { Insertable, Selectable, Updateable } from 'kysely';
import type { JobStatus, JobType, NodeStatus, ResourceStatus } from '@pressluft/shared';

// Times are ISO-8601 UTC strings from Date#toISOString, so they compare correctly as text.
// Booleans are 0/1 integers (SQLite has no boolean type).

export interface NodeTable {
  id: string;
  name: string;
  hostname: string | null;
  public_ip: string | null;
  os: string | null;
  status: NodeStatus;
  is_local: number;
  http_port: number;
  agent_version: string | null;
  last_seen_at: string | null;
  provisioned_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SiteTable {
  id: string;
  name: string;
  slug: string;
  status: ResourceStatus;
  primary_environment_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface EnvironmentTable {
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

/** Per-environment secrets, AES-256-GCM encrypted JSON (see secrets/secret-box.ts). */
export interface EnvironmentSecretTable {
  environment_id: string;
  ciphertext: string;
  created_at: string;
}

export interface JobTable {
  id: string;
  job_type: JobType;
  status: JobStatus;
  site_id: string | null;
  environment_id: string | null;
  node_id: string;
  /** JSON `{ vars }`; never holds secrets. */
  payload: string;
  attempt: number;
  max_attempts: number;
  run_after: string;
  lease_expires_at: string | null;
  cancel_requested: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  error_code: string | null;
  error_message: string | null;
  failed_step: string | null;
  output_tail: string | null;
}

export interface JobEventTable {
  job_id: string;
  seq: number;
  attempt: number;
  type: 'step' | 'reachability' | 'result' | 'state';
  /** JSON. */
  data: string;
  /** The agent's own seq within the attempt (dedupe key); null for control-plane events. */
  agent_seq: number | null;
  created_at: string;
}

export interface UserTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
}

export interface SessionTable {
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface AuditLogTable {
  id: number | null;
  actor: string;
  action: string;
  target: string | null;
  status_code: number;
  ip: string | null;
  created_at: string;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface AgentCredentialTable {
  node_id: string;
  credential_hash: string;
  created_at: string;
}

export interface NodeRegistrationTokenTable {
  token_hash: string;
  node_id: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface Database {
  nodes: NodeTable;
  sites: SiteTable;
  environments: EnvironmentTable;
  environment_secrets: EnvironmentSecretTable;
  jobs: JobTable;
  job_events: JobEventTable;
  users: UserTable;
  sessions: SessionTable;
  audit_logs: AuditLogTable;
  settings: SettingTable;
  agent_credentials: AgentCredentialTable;
  node_registration_tokens: NodeRegistrationTokenTable;
}

export type NodeRow = Selectable<NodeTable>;
export type SiteRow = Selectable<SiteTable>;
export type EnvironmentRow = Selectable<EnvironmentTable>;
export type JobRow = Selectable<JobTable>;
export type NewJob = Insertable<JobTable>;
export type JobUpdate = Updateable<JobTable>;
export type JobEventRow = Selectable<JobEventTable>;
export type UserRow = Selectable<UserTable>;
