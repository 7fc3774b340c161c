import { sql, type Kysely } from 'kysely';

// Pruning by age scans these columns (maintenance/prune-state.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX job_events_created_at ON job_events(created_at)`.execute(db);
  await sql`CREATE INDEX audit_logs_created_at ON audit_logs(created_at)`.execute(db);
  await sql`CREATE INDEX sessions_expires_at ON sessions(expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['sessions_expires_at', 'audit_logs_created_at', 'job_events_created_at']) {
    await sql`DROP INDEX ${sql.id(index)}`.execute(db);
  }
}
