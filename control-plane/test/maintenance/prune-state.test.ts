import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '@pressluft/shared';
import { pruneState } from '../../src/maintenance/prune-state.ts';
import type { Db } from '../../src/db/open-database.ts';
import { build, waitFor, type Built } from '../support/build.ts';
import { registerSelfNode } from '../support/fake-agent.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

const DAY = 24 * 3600_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function job(db: Db, nodeId: string, status: JobStatus, eventAges: number[]): Promise<string> {
  const id = crypto.randomUUID();
  const at = ago(Math.max(...eventAges, 0));
  await db.insertInto('jobs').values({
    id, job_type: 'node_provision', status, site_id: null, environment_id: null, node_id: nodeId, payload: '{}',
    attempt: 1, max_attempts: 3, run_after: at, lease_expires_at: null, cancel_requested: 0, created_at: at, updated_at: at,
    started_at: at, finished_at: null, error_code: null, error_message: null, failed_step: null, output_tail: null,
  }).execute();
  let seq = 0;
  for (const days of eventAges) {
    await db.insertInto('job_events').values({ job_id: id, seq: ++seq, attempt: 1, type: 'step', data: '{}', agent_seq: null, created_at: ago(days) }).execute();
  }
  return id;
}

async function seedOldRows(b: Built): Promise<{ finished: string; running: string }> {
  const db = b.ctx.db;
  const { nodeId } = await registerSelfNode(b);
  const finished = await job(db, nodeId, 'succeeded', [40, 31, 29, 1]);
  const running = await job(db, nodeId, 'running', [45, 2]);
  for (const days of [120, 91, 89, 0]) {
    await db.insertInto('audit_logs').values({ id: null, actor: 'a', action: 'POST /api/sites', target: null, status_code: 200, ip: null, created_at: ago(days) }).execute();
  }
  const user = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
  for (const [hash, expires] of [['expired', ago(1)], ['valid', ago(-1)]]) {
    await db.insertInto('sessions').values({ token_hash: hash, user_id: user.id, created_at: ago(8), expires_at: expires }).execute();
  }
  return { finished, running };
}

async function eventAgesOf(db: Db, jobId: string): Promise<number[]> {
  const rows = await db.selectFrom('job_events').select('created_at').where('job_id', '=', jobId).orderBy('seq').execute();
  return rows.map((r) => Math.round((Date.now() - Date.parse(r.created_at)) / DAY));
}

describe('pruning by age', () => {
  it('deletes job events past the retention of ended jobs only, audit rows past theirs, and expired sessions', async () => {
    built = await build();
    const { finished, running } = await seedOldRows(built);
    const result = await pruneState(built.ctx.db, new Date(), { jobEventsDays: 30, auditLogDays: 90 });
    expect(result).toEqual({ jobEvents: 2, auditLogs: 2, sessions: 1 });
    expect(await eventAgesOf(built.ctx.db, finished)).toEqual([29, 1]);
    // A job still running keeps its whole log, however old.
    expect(await eventAgesOf(built.ctx.db, running)).toEqual([45, 2]);
    const audit = await built.ctx.db.selectFrom('audit_logs').select('created_at').where('actor', '=', 'a').execute();
    expect(audit).toHaveLength(2);
    const sessions = await built.ctx.db.selectFrom('sessions').select('token_hash').where('token_hash', 'in', ['expired', 'valid']).execute();
    expect(sessions).toEqual([{ token_hash: 'valid' }]);
  });

  it('deletes more rows than one batch', async () => {
    built = await build();
    const { nodeId } = await registerSelfNode(built);
    await job(built.ctx.db, nodeId, 'failed', Array.from({ length: 12_000 }, () => 60));
    const result = await pruneState(built.ctx.db, new Date(), { jobEventsDays: 30, auditLogDays: 90 });
    expect(result.jobEvents).toBe(12_000);
  });

  it('prunes at start with the configured retention', async () => {
    built = await build();
    const stateDir = built.stateDir;
    const { finished } = await seedOldRows(built);
    await built.close();
    built = await build({ stateDir, config: { jobEventsRetentionDays: 10, auditLogRetentionDays: 100 } });
    const db = built.ctx.db;
    await waitFor(async () => (await eventAgesOf(db, finished)).length === 1, 'the start-up prune');
    expect(await eventAgesOf(db, finished)).toEqual([1]);
    expect(await db.selectFrom('audit_logs').select('id').where('actor', '=', 'a').execute()).toHaveLength(3);
    expect(await db.selectFrom('sessions').select('token_hash').where('token_hash', '=', 'expired').execute()).toEqual([]);
  });
});
