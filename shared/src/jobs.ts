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

const EnvId = z.string().regex(ID_PATTERN).describe('Environment id (UUID, lowercase).');
const HttpPort = z.number().int().min(1).max(65535).describe("The node's HTTP port.");
const PreviewHost = z.string().regex(/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/).describe('The nginx server_name, e.g. a1b2c3d4.localhost.');
const PreviewUrl = z.string().regex(/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/).describe("WordPress's home and site URL, e.g. http://a1b2c3d4.localhost:8080.");

/**
 * Ansible variables each job type passes (non-secret), role-prefixed. The roles'
 * meta/argument_specs.yml are generated from these (scripts/gen-argument-specs.ts), so a missing
 * or mistyped variable fails at role entry, before anything changes on the node.
 */
export const JOB_VARS_SCHEMAS = {
  node_provision: z.strictObject({
    pressluft_http_port: HttpPort.describe('Port nginx serves the environments on (80 unless pressluft dev picks another).'),
    pressluft_wordpress_source: z.enum(['debian', 'official', 'tarball']).describe('Where WordPress core comes from.'),
    pressluft_wordpress_tarball: z.string().describe('Path of a WordPress tarball on the node (source tarball only; empty otherwise).'),
  }),
  site_create: z.strictObject({
    pressluft_env_id: EnvId,
    pressluft_site_name: z.string().min(1).max(200).describe('The WordPress site title.'),
    pressluft_preview_url: PreviewUrl,
    pressluft_preview_host: PreviewHost,
    pressluft_http_port: HttpPort,
    pressluft_admin_user: z.string().regex(/^[a-z0-9_]{1,60}$/).describe('WordPress admin login.'),
    pressluft_admin_email: z.string().email().describe('WordPress admin email.'),
  }),
  env_create: z.strictObject({
    pressluft_env_id: EnvId,
    pressluft_source_env_id: EnvId.describe('The environment to copy files and database from.'),
    pressluft_preview_url: PreviewUrl,
    pressluft_preview_host: PreviewHost,
    pressluft_http_port: HttpPort,
  }),
  env_delete: z.strictObject({
    pressluft_env_id: EnvId,
  }),
  site_delete: z.strictObject({
    pressluft_env_ids: z.array(EnvId).describe('Every environment id of the site.'),
  }),
} satisfies Record<JobType, z.ZodType>;

export type JobVars<T extends JobType> = z.infer<(typeof JOB_VARS_SCHEMAS)[T]>;

/**
 * Secrets travel beside the variables, never inside them or in job payloads shown by the API.
 * The agent writes them to a 0600 vars file; tasks touching them are no_log.
 */
export const JobSecrets = z.strictObject({
  pressluft_secret_db_password: z.string().min(16).optional().describe("The environment's database password (secret)."),
  pressluft_secret_admin_password: z.string().min(16).optional().describe('The WordPress admin password (secret).'),
});
export type JobSecrets = z.infer<typeof JobSecrets>;
export type JobSecretName = keyof JobSecrets;

/** The secrets each job type needs (all of them required by its role entry point). */
export const JOB_SECRETS: Record<JobType, readonly JobSecretName[]> = {
  node_provision: [],
  site_create: ['pressluft_secret_db_password', 'pressluft_secret_admin_password'],
  env_create: ['pressluft_secret_db_password'],
  env_delete: [],
  site_delete: [],
};

/**
 * The role entry point (meta/argument_specs.yml key, the playbook's tasks_from) each job type's
 * playbook runs.
 */
export const JOB_ROLE_ENTRY: Record<JobType, { role: string; entry: string; description: string }> = {
  node_provision: { role: 'pressluft_node', entry: 'main', description: 'Turn a Debian 12 / Ubuntu 24.04 host into a Pressluft WordPress node' },
  site_create: { role: 'pressluft_env', entry: 'main', description: 'Create an environment with a fresh WordPress (site_create)' },
  env_create: { role: 'pressluft_env', entry: 'clone', description: 'Clone a source environment on this node into a new one (env_create)' },
  env_delete: { role: 'pressluft_env', entry: 'delete', description: 'Remove one environment from the node (env_delete)' },
  site_delete: { role: 'pressluft_env', entry: 'delete_all', description: 'Remove all environments of a site from the node (site_delete)' },
};
