import { sql } from 'kysely';
import { TERMINAL_JOB_STATUSES } from '@pressluft/shared';
import type { Db } from '../db/open-database.ts';

const DAY_MS = 24 * 3600_000;
// Deleted in slices so a first prune of a large table never holds the write lock for long.
const BATCH = 5000;

export interface PruneResult {
  jobEvents: number;
  auditLogs: number;
  sessions: number;
}

async function deleteInBatches(db: Db, table: 'job_events' | 'audit_logs', where: ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`DELETE FROM ${sql.table(table)} WHERE rowid IN (SELECT rowid FROM ${sql.table(table)} WHERE ${where} LIMIT ${BATCH})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0);
    total += n;
    if (n < BATCH) return total;
  }
}

/**
 * Deletes by age: job events older than `jobEventsDays` of jobs that have ended (a job still
 * running keeps its whole log), audit rows older than `auditLogDays`, and expired sessions.
 */
export async function pruneState(db: Db, now: Date, retention: { jobEventsDays: number; auditLogDays: number }): Promise<PruneResult> {
  const eventsBefore = new Date(now.getTime() - retention.jobEventsDays * DAY_MS).toISOString();
  const auditBefore = new Date(now.getTime() - retention.auditLogDays * DAY_MS).toISOString();
  const jobEvents = await deleteInBatches(db, 'job_events', sql`created_at < ${eventsBefore}
    AND job_id IN (SELECT id FROM jobs WHERE status IN (${sql.join(TERMINAL_JOB_STATUSES)}))`);
  const auditLogs = await deleteInBatches(db, 'audit_logs', sql`created_at < ${auditBefore}`);
  const expired = await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return { jobEvents, auditLogs, sessions: Number(expired.numDeletedRows) };
}
