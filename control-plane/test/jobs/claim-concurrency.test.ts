import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';

const WORKER = fileURLToPath(new URL('../support/claim-worker.ts', import.meta.url));

type Claims = Array<{ id: string; attempt: number; runningOnNode: number; runningOnSite: number }>;

/** Starts a claiming process; resolves `ready` once it opened the database, `done` with its claims. */
function startWorker(stateDir: string, nodeIds: string[]): { ready: Promise<void>; go(): void; done: Promise<Claims> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, stateDir, ...nodeIds], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (c) => {
    out += c;
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (c) => (err += c));
  const done = new Promise<Claims>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length))) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

describe('claiming jobs', () => {
  it('never runs two jobs for one node or one site, even with three processes claiming at once', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-claim-'));
    const db = await openDatabase(stateDir);
    const iso = new Date(Date.now() - 1000).toISOString();
    const nodes = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
    for (const id of nodes) {
      await db.insertInto('nodes').values({ id, name: id.slice(0, 4), hostname: null, public_ip: null, os: null, status: 'active', is_local: 0, http_port: 80, agent_version: null, last_seen_at: null, provisioned_at: iso, created_at: iso, updated_at: iso }).execute();
    }
    const sites = ['s1', 's2', 's3'];
    let n = 0;
    for (let round = 0; round < 6; round++) {
      for (const site of sites) {
        // Every site has jobs on both nodes, so the site rule is tested on its own.
        for (const node of nodes) {
          n += 1;
          await db.insertInto('jobs').values({
            id: `job-${String(n).padStart(3, '0')}`, job_type: 'env_delete', status: 'queued', site_id: site, environment_id: null, node_id: node,
            payload: '{"vars":{}}', attempt: 0, max_attempts: 3, run_after: iso, lease_expires_at: null, cancel_requested: 0,
            created_at: iso, updated_at: iso, started_at: null, finished_at: null, error_code: null, error_message: null, failed_step: null, output_tail: null,
          }).execute();
        }
      }
    }
    await db.destroy();

        const workers = [startWorker(stateDir, nodes), startWorker(stateDir, [...nodes].reverse()), startWorker(stateDir, nodes)];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const perWorker = await Promise.all(workers.map((w) => w.done));
    const results = perWorker.flat();
    // Real contention: more than one process got some of the work.
    expect(perWorker.filter((claims) => claims.length > 0).length).toBeGreaterThan(1);
    expect(results).toHaveLength(n);
    expect(new Set(results.map((c) => c.id)).size).toBe(n);
    for (const claim of results) {
      expect(claim.attempt).toBe(1);
      expect(claim.runningOnNode).toBe(1);
      expect(claim.runningOnSite).toBe(1);
    }
  }, 120_000);
});
