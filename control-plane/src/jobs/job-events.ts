import { sql } from 'kysely';
import type { JobEventDto } from '@pressluft/shared';
import type { Tx } from '../context.ts';
import type { Db } from '../db/open-database.ts';
import type { JobEventRow } from '../db/schema.ts';

export interface NewJobEvent {
  job_id: string;
  attempt: number;
  type: JobEventRow['type'];
  data: Record<string, unknown>;
  agent_seq?: number | null;
}

/** Appends an event with the next per-job seq (one statement, so the seq cannot be taken twice). */
export async function appendJobEvent(tx: Tx, event: NewJobEvent): Promise<number> {
  const row = await sql<{ seq: number }>`
    INSERT INTO job_events (job_id, seq, attempt, type, data, agent_seq, created_at)
    SELECT ${event.job_id}, COALESCE(MAX(seq), 0) + 1, ${event.attempt}, ${event.type},
           ${JSON.stringify(event.data)}, ${event.agent_seq ?? null}, ${tx.iso}
    FROM job_events WHERE job_id = ${event.job_id}
    RETURNING seq`.execute(tx.db);
  tx.notes.push({ type: 'job_event', id: event.job_id });
  return row.rows[0].seq;
}

export function toJobEventDto(row: JobEventRow): JobEventDto {
  return {
    job_id: row.job_id,
    seq: row.seq,
    attempt: row.attempt,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    created_at: row.created_at,
  };
}

export async function listJobEvents(db: Db, jobId: string, afterSeq: number, limit = 1000): Promise<JobEventRow[]> {
  return db.selectFrom('job_events').selectAll()
    .where('job_id', '=', jobId).where('seq', '>', afterSeq)
    .orderBy('seq').limit(limit).execute();
}
