import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text')
    .addColumn('public_ip', 'text')
    .addColumn('os', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_local', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('http_port', 'integer', (c) => c.notNull())
    .addColumn('agent_version', 'text')
    .addColumn('last_seen_at', 'text')
    .addColumn('provisioned_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One self-node per database.
  await sql`CREATE UNIQUE INDEX nodes_one_local ON nodes(is_local) WHERE is_local = 1`.execute(db);

  await db.schema.createTable('sites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('primary_environment_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Deleted rows are kept for history but free their slug.
  await sql`CREATE UNIQUE INDEX sites_slug_live ON sites(slug) WHERE status <> 'deleted'`.execute(db);

  await db.schema.createTable('environments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id'))
    .addColumn('source_environment_id', 'text')
    .addColumn('preview_url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX environments_slug_live ON environments(site_id, slug) WHERE status <> 'deleted'`.execute(db);
  await sql`CREATE UNIQUE INDEX environments_preview_live ON environments(preview_url) WHERE status <> 'deleted'`.execute(db);

  await db.schema.createTable('environment_secrets')
    .addColumn('environment_id', 'text', (c) => c.primaryKey().references('environments.id'))
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text')
    .addColumn('environment_id', 'text')
    .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id'))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('lease_expires_at', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('failed_step', 'text')
    .addColumn('output_tail', 'text')
    .execute();
  // The queue invariants: at most one running mutation per node and per site.
  await sql`CREATE UNIQUE INDEX jobs_one_running_per_node ON jobs(node_id) WHERE status = 'running'`.execute(db);
  await sql`CREATE UNIQUE INDEX jobs_one_running_per_site ON jobs(site_id) WHERE status = 'running' AND site_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX jobs_status_node ON jobs(status, node_id, run_after)`.execute(db);
  await sql`CREATE INDEX jobs_site ON jobs(site_id, created_at)`.execute(db);

  await db.schema.createTable('job_events')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('agent_seq', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_events_pk', ['job_id', 'seq'])
    .execute();
  await sql`CREATE UNIQUE INDEX job_events_agent_dedupe ON job_events(job_id, attempt, agent_seq) WHERE agent_seq IS NOT NULL`.execute(db);

  await db.schema.createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('audit_logs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('agent_credentials')
    .addColumn('node_id', 'text', (c) => c.primaryKey().references('nodes.id'))
    .addColumn('credential_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('node_registration_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['node_registration_tokens', 'agent_credentials', 'settings', 'audit_logs', 'sessions', 'users', 'job_events', 'jobs', 'environment_secrets', 'environments', 'sites', 'nodes']) {
    await db.schema.dropTable(table).execute();
  }
}
