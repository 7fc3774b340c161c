/** Job variables for the runtime tests, shaped like the control plane's (JOB_VARS_SCHEMAS). */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { JOB_VARS_SCHEMAS, type JobVars } from '../../shared/src/jobs.ts';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { HTTP_PORT, phpVersion, runPlaybook, sh, sql, type PlaybookRun, type RunOptions } from './support.ts';

export interface TestEnv {
  id: string;
  host: string;
  url: string;
  dbPassword: string;
  adminPassword: string;
}

export function newEnv(): TestEnv {
  const id = randomUUID();
  const host = `${id.slice(0, 8)}.localhost`;
  return {
    id,
    host,
    url: `http://${host}:${HTTP_PORT}`,
    dbPassword: `Db-${randomUUID().replaceAll('-', '')}`,
    adminPassword: `Adm-${randomUUID().replaceAll('-', '')}`,
  };
}

export function nodeVars(): JobVars<'node_provision'> {
  return JOB_VARS_SCHEMAS.node_provision.parse({ pressluft_http_port: HTTP_PORT, pressluft_wordpress_source: 'debian', pressluft_wordpress_tarball: '' });
}

export function siteCreateVars(env: TestEnv, siteName: string) {
  const vars = JOB_VARS_SCHEMAS.site_create.parse({
    pressluft_env_id: env.id,
    pressluft_site_name: siteName,
    pressluft_preview_url: env.url,
    pressluft_preview_host: env.host,
    pressluft_http_port: HTTP_PORT,
    pressluft_admin_user: 'admin',
    pressluft_admin_email: 'admin@example.com',
  });
  return { ...vars, pressluft_secret_db_password: env.dbPassword, pressluft_secret_admin_password: env.adminPassword };
}

export function envCreateVars(env: TestEnv, source: TestEnv) {
  const vars = JOB_VARS_SCHEMAS.env_create.parse({
    pressluft_env_id: env.id,
    pressluft_source_env_id: source.id,
    pressluft_preview_url: env.url,
    pressluft_preview_host: env.host,
    pressluft_http_port: HTTP_PORT,
  });
  return { ...vars, pressluft_secret_db_password: env.dbPassword };
}

/** Deletes environments (used by afterAll hooks; deleting twice is fine). */
export async function deleteEnvs(envs: TestEnv[], opts: RunOptions = {}): Promise<PlaybookRun | undefined> {
  if (envs.length === 0) return undefined;
  return runPlaybook('site-delete.yml', JOB_VARS_SCHEMAS.site_delete.parse({ pressluft_env_ids: envs.map((e) => e.id) }), opts);
}

/** Everything an environment can leave on the node, as booleans (true = still there). */
export async function leftovers(envId: string): Promise<Record<string, boolean>> {
  const names = runtimeNames(envId);
  const version = await phpVersion();
  const [db] = await sql(`SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${names.database}'),
    (SELECT COUNT(*) FROM mysql.user WHERE User = '${names.database}'),
    (SELECT COUNT(*) FROM mysql.db WHERE User = '${names.database}')`);
  return {
    user: (await sh('id', ['-u', names.user])).code === 0,
    database: db[0] !== '0',
    databaseUser: db[1] !== '0',
    grant: db[2] !== '0',
    pool: existsSync(`/etc/php/${version}/fpm/pool.d/${names.pool}.conf`),
    socket: existsSync(`/run/php/${names.pool}.sock`),
    vhost: existsSync(`/etc/nginx/pressluft-sites/${envId}.conf`),
    files: existsSync(names.root),
  };
}
