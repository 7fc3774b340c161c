import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '@pressluft/control-plane';
import { runCli } from '../src/cli.ts';
import { memoryOutput } from '../src/output.ts';

let cp: ControlPlane | undefined;
afterEach(async () => cp?.close());

describe('pressluft backup-state', () => {
  it('copies the state of a running control plane into --to, 0600', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-cli-state-'));
    cp = await startControlPlane({ stateDir, port: 0, dashboardDir: null, adminEmail: 'a@b.test', adminPassword: 'pw-pw-pw-pw', logger: pino({ level: 'silent' }) });
    const to = path.join(mkdtempSync(path.join(os.tmpdir(), 'pressluft-cli-backup-')), 'b');
    const out = memoryOutput();
    const code = await runCli(['backup-state', '--to', to, '--state-dir', stateDir], { env: {}, cwd: os.tmpdir(), out });
    expect(code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Backed up ${stateDir} to ${to}`);
    expect(readdirSync(to).sort()).toEqual(['pressluft.db', 'secret.key']);
    for (const f of readdirSync(to)) expect(statSync(path.join(to, f)).mode & 0o777).toBe(0o600);
  });

  it('exits 2 without --to and 1 with a clear message for a directory that holds no state', async () => {
    const out = memoryOutput();
    expect(await runCli(['backup-state'], { env: {}, cwd: os.tmpdir(), out })).toBe(2);
    expect(out.stderr).toContain('--to is required');
    const empty = mkdtempSync(path.join(os.tmpdir(), 'pressluft-cli-empty-'));
    const out2 = memoryOutput();
    expect(await runCli(['backup-state', '--to', path.join(empty, 'b'), '--state-dir', empty], { env: {}, cwd: os.tmpdir(), out: out2 })).toBe(1);
    expect(out2.stderr).toMatch(/pressluft\.db does not exist/);
  });
});
