// A separate process claiming jobs from the same SQLite file (see claim-concurrency.test.ts).
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/open-database.ts';
import { claimNextJob } from '../../src/jobs/claim-job.ts';

const [stateDir, ...nodeIds] = process.argv.slice(2);
const db = await openDatabase(stateDir);
// A barrier: all workers start claiming together once the test says go on stdin.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const claims: Array<{ id: string; attempt: number; runningOnNode: number; runningOnSite: number }> = [];
let idle = 0;
while (idle < 40) {
  let claimed = false;
  for (const nodeId of nodeIds) {
    const now = new Date();
    const job = await db.transaction().execute((trx) => claimNextJob({ db: trx, notes: [], now, iso: now.toISOString() }, nodeId, 60_000));
    if (!job) continue;
    claimed = true;
    const onNode = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM jobs WHERE status = 'running' AND node_id = ${job.node_id}`.execute(db);
    const onSite = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM jobs WHERE status = 'running' AND site_id = ${job.site_id}`.execute(db);
    claims.push({ id: job.id, attempt: job.attempt, runningOnNode: onNode.rows[0].n, runningOnSite: onSite.rows[0].n });
    await new Promise((r) => setTimeout(r, 3 + Math.random() * 10));
    await db.updateTable('jobs').set({ status: 'succeeded', finished_at: new Date().toISOString() }).where('id', '=', job.id).execute();
  }
  idle = claimed ? 0 : idle + 1;
  if (!claimed) await new Promise((r) => setTimeout(r, 5));
}
await db.destroy();
process.stdout.write(JSON.stringify(claims));
