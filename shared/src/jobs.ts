import { z } from 'zod';
import { ID_PATTERN } from './runtime.ts';

export const JOB_TYPES = ['node_provision', 'site_create', 'env_create', 'env_delete', 'site_delete'] as const;
export const JobType = z.enum(JOB_TYPES);
export type JobType = z.infer<typeof JobType>;

/** The playbook (under ansible/playbooks/) each job type runs. */
export const PLAYBOOKS: Record<JobType, string> = {
  node_provision: 'node-provision.yml',
  site_create: 'site-create.yml',
  env_create: 'env-create.yml',
  env_delete: 'env-delete.yml',
  site_delete: 'site-delete.yml',
};

/** Job types whose success requires a passing reachability report. */
export const REACHABILITY_JOB_TYPES: readonly JobType[] = ['site_create', 'env_create'];

/** Job types that mutate a site (at most one runs per site at a time). */
export const SITE_JOB_TYPES: readonly JobType[] = ['site_create', 'env_create', 'env_delete', 'site_delete'];

/** Defaults; PRESSLUFT_JOB_MAX_ATTEMPTS and PRESSLUFT_JOB_BACKOFF (comma-separated seconds) override them. */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_SECONDS: readonly number[] = [60, 300, 900];

/** Per-type playbook time limits. */
export const JOB_TIMEOUT_MS: Record<JobType, number> = {
  node_provision: 20 * 60_000,
  site_create: 5 * 60_000,
  env_create: 10 * 60_000,
  env_delete: 5 * 60_000,
  site_delete: 10 * 60_000,
};

const EnvId = z.string().regex(ID_PATTERN);
const HttpPort = z.number().int().min(1).max(65535);
const Host = z.string().regex(/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/);
const Url = z.string().regex(/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/);

/**
 * Ansible variables each job type passes (non-secret). Role-prefixed names; the roles'
 * meta/argument_specs.yml check the same names at role entry.
 */
export const JOB_VARS_SCHEMAS = {
  node_provision: z.strictObject({
    pressluft_http_port: HttpPort,
    pressluft_wordpress_source: z.enum(['debian', 'official', 'tarball']),
    pressluft_wordpress_tarball: z.string(),
  }),
  site_create: z.strictObject({
    pressluft_env_id: EnvId,
    pressluft_site_name: z.string().min(1).max(200),
    pressluft_preview_url: Url,
    pressluft_preview_host: Host,
    pressluft_http_port: HttpPort,
    pressluft_admin_user: z.string().regex(/^[a-z0-9_]{1,60}$/),
    pressluft_admin_email: z.string().email(),
  }),
  env_create: z.strictObject({
    pressluft_env_id: EnvId,
    pressluft_source_env_id: EnvId,
    pressluft_preview_url: Url,
    pressluft_preview_host: Host,
    pressluft_http_port: HttpPort,
  }),
  env_delete: z.strictObject({
    pressluft_env_id: EnvId,
  }),
  site_delete: z.strictObject({
    pressluft_env_ids: z.array(EnvId),
  }),
} satisfies Record<JobType, z.ZodType>;

export type JobVars<T extends JobType> = z.infer<(typeof JOB_VARS_SCHEMAS)[T]>;

/**
 * Secrets travel beside the variables, never inside them or in job payloads shown by the API.
 * The agent writes them to a 0600 vars file; tasks touching them are no_log.
 */
export const JobSecrets = z.strictObject({
  pressluft_secret_db_password: z.string().min(16).optional(),
  pressluft_secret_admin_password: z.string().min(16).optional(),
});
export type JobSecrets = z.infer<typeof JobSecrets>;
