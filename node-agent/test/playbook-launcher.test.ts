import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PlaybookLauncher, type PlaybookProcess } from '../src/playbook-launcher.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

const ANSIBLE = fileURLToPath(new URL('../../ansible', import.meta.url));
const SMOKE = fileURLToPath(new URL('./fixtures/ansible-smoke/smoke.yml', import.meta.url));
const log = pino({ level: 'silent' });
const env = { ANSIBLE_CONFIG: path.join(ANSIBLE, 'ansible.cfg'), PYTHONUNBUFFERED: '1', ANSIBLE_NOCOLOR: '1' };
const smokeArgs = ['-c', 'local', '-i', path.join(ANSIBLE, 'inventory', 'local.yml'), SMOKE, '-e', 'pressluft_site_name=Warm', '-e', 'pressluft_secret_db_password=x', '-e', 'smoke_fail=false'];

let launcher: PlaybookLauncher | undefined;
let dir: string | undefined;
afterEach(async () => {
  launcher?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  launcher = dir = undefined;
});

async function output(child: PlaybookProcess): Promise<{ exitCode: number | undefined; stdout: string }> {
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.resume();
  const result = await child;
  return { exitCode: result.exitCode, stdout };
}

describe('PlaybookLauncher', () => {
  it('hands a job to the ansible-playbook it started ahead, which runs it like the command would', { timeout: 60_000 }, async () => {
    launcher = new PlaybookLauncher({ bin: 'ansible-playbook', env, cwd: ANSIBLE, warm: true, log });
    launcher.prepare();
    const waiting = await waitFor(() => (launcher!.waiting()?.ready ? launcher!.waiting() : null), 'the warm process to import Ansible', 30_000);

    const warm = launcher.launch(smokeArgs);
    expect(warm.pid).toBe(waiting.pid);
    expect(launcher.waiting()).toBeNull();
    const first = await output(warm);
    expect(first.exitCode).toBe(0);
    const events = first.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; name?: string; ok?: boolean });
    expect(events.filter((e) => e.event === 'task_start').map((e) => e.name)).toEqual(['Say the site name', 'Loop over items', 'Use the secret quietly', 'Fail when asked']);
    expect(events.at(-1)).toMatchObject({ event: 'playbook_end', ok: true });

    // Nothing waiting: the next job starts ansible-playbook itself, with the same result.
    const cold = launcher.launch(smokeArgs);
    expect(cold.pid).not.toBe(waiting.pid);
    const second = await output(cold);
    expect(second.exitCode).toBe(0);
    expect(second.stdout.trim().split('\n').at(-1)).toBe(first.stdout.trim().split('\n').at(-1));
  });

  it('on an ansible-core it is not tested on, warns once and runs every job cold', { timeout: 60_000 }, async () => {
    // Debian trixie's ansible-core, unpacked by scripts/setup.sh --test (test/unpacked-packages.json).
    const manifest = JSON.parse(readFileSync(new URL('../../test/unpacked-packages.json', import.meta.url), 'utf8')) as { dir: string };
    const prefix = path.join(manifest.dir, 'ansible-core-untested');
    expect(existsSync(path.join(prefix, '.complete')), `${prefix}: run scripts/setup.sh --test`).toBe(true);
    const warnings: { details: object; message: string }[] = [];
    launcher = new PlaybookLauncher({
      bin: path.join(prefix, 'usr', 'bin', 'ansible-playbook'),
      env: { ...env, PYTHONPATH: path.join(prefix, 'usr', 'lib', 'python3', 'dist-packages') },
      cwd: ANSIBLE,
      warm: true,
      log: { warn: (details, message) => warnings.push({ details, message }) },
    });
    launcher.prepare();
    const pid = launcher.waiting()?.pid;
    await waitFor(() => launcher!.waiting() === null, 'the warm process to give up');
    expect(warnings).toEqual([{ details: expect.objectContaining({ ansibleCore: expect.stringMatching(/^2\.(1[7-9]|[2-9]\d)\./) }), message: expect.stringMatching(/^the warm ansible-playbook is not tested on ansible-core \S+; starting it cold for every job$/) }]);
    launcher.prepare();
    expect(launcher.waiting()).toBeNull();

    const cold = launcher.launch(smokeArgs);
    expect(cold.pid).not.toBe(pid);
    const result = await output(cold);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toContain('"playbook_end", "ok": true');
    expect(warnings).toHaveLength(1);
  });

  it('a failed warm start turns warm starts off and jobs still run cold', { timeout: 30_000 }, async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'launcher-'));
    // A "Python" that cannot run the warm runner, in front of a working command.
    const bin = path.join(dir, 'fake-playbook');
    await writeFile(bin, '#!/bin/false\n');
    await chmod(bin, 0o755);
    launcher = new PlaybookLauncher({ bin, env, cwd: dir, warm: true, log });
    launcher.prepare();
    const pid = launcher.waiting()?.pid;
    expect(pid).toBeTypeOf('number');
    await waitFor(() => launcher!.waiting() === null, 'the failed warm process to be dropped');
    launcher.prepare();
    expect(launcher.waiting()).toBeNull();

    const child = launcher.launch([]);
    expect(child.pid).not.toBe(pid);
    // /bin/false as the interpreter of the script itself: exits 1, proving the command ran cold.
    expect((await output(child)).exitCode).toBe(1);
  });

  it('starts nothing ahead for a stand-in command without a shebang, nor after close()', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'launcher-'));
    const bin = path.join(dir, 'binary');
    await writeFile(bin, '\u007fELF');
    launcher = new PlaybookLauncher({ bin, env, cwd: dir, warm: true, log });
    launcher.prepare();
    expect(launcher.waiting()).toBeNull();

    const real = new PlaybookLauncher({ bin: 'ansible-playbook', env, cwd: ANSIBLE, warm: true, log });
    real.close();
    real.prepare();
    expect(real.waiting()).toBeNull();
  });
});
