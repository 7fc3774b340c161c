import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupState } from '../../src/maintenance/backup-state.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { build, type Built } from '../support/build.ts';
import { markProvisioned, registerSelfNode } from '../support/fake-agent.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('backup-state', () => {
  it('copies a consistent database and the key, 0600, while the control plane keeps writing', async () => {
    built = await build();
    const { nodeId } = await registerSelfNode(built);
    await markProvisioned(built, nodeId);
    await built.api('POST', '/api/sites', { name: 'Kept', slug: 'kept' });
    const secret = await built.ctx.db.selectFrom('environment_secrets').select(['environment_id', 'ciphertext']).executeTakeFirstOrThrow();
    const b = built;
    // Some megabytes, so the copy is more than a page or two.
    for (let chunk = 0; chunk < 40; chunk++) {
      await b.ctx.db.insertInto('audit_logs').values(Array.from({ length: 500 }, (_, i) => ({
        id: null, actor: 'seed', action: 'POST /api/sites', target: `t${chunk}-${i}`.padEnd(200, 'x'), status_code: 202, ip: '127.0.0.1', created_at: new Date().toISOString(),
      }))).execute();
    }

    // Writers keep committing through the API while the backup runs.
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        const res = await b.api('POST', '/api/nodes', { name: `n${writes}` });
        expect(res.statusCode).toBe(201);
        writes++;
      }
    })();
    const to = path.join(mkdtempSync(path.join(os.tmpdir(), 'pressluft-backup-')), 'copy');
    const result = await backupState(built.stateDir, to);
    writing = false;
    await writer;

    expect(readdirSync(to).sort()).toEqual(['pressluft.db', 'secret.key']);
    expect(mode(to)).toBe(0o700);
    for (const file of ['pressluft.db', 'secret.key']) expect(mode(path.join(to, file)), file).toBe(0o600);
    expect(result.bytes).toBeGreaterThan(0);

    const copy = new SQLite(path.join(to, 'pressluft.db'), { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const nodes = (copy.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number }).n;
      // The snapshot holds a prefix of the writes: at least the self-node, at most all of them.
      expect(nodes).toBeGreaterThanOrEqual(1);
      expect(nodes).toBeLessThanOrEqual(1 + writes);
      expect((copy.prepare("SELECT count(*) AS n FROM audit_logs WHERE actor = 'seed'").get() as { n: number }).n).toBe(20_000);
      const row = copy.prepare('SELECT ciphertext FROM environment_secrets WHERE environment_id = ?').get(secret.environment_id) as { ciphertext: string };
      // The copied key opens the copied secrets.
      expect(SecretBox.open(to).decrypt(row.ciphertext)).toBe(built.ctx.secrets.decrypt(secret.ciphertext));
    } finally {
      copy.close();
    }
  });

  it('refuses to replace an earlier backup and to copy from a directory that is no state', async () => {
    built = await build();
    const to = mkdtempSync(path.join(os.tmpdir(), 'pressluft-backup-'));
    writeFileSync(path.join(to, 'pressluft.db'), 'earlier');
    await expect(backupState(built.stateDir, to)).rejects.toThrow(/already exists/);
    expect(readdirSync(to)).toEqual(['pressluft.db']);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'pressluft-nostate-'));
    await expect(backupState(empty, path.join(to, 'x'))).rejects.toThrow(/does not exist/);
    expect(existsSync(path.join(to, 'x'))).toBe(false);
  });
});
