import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquirePidLock, isProcessAlive, StateDirLockedError } from '../src/dev/pid-lock.ts';
import { checkPrivilege, dashboardNeedsBuild, findExecutable } from '../src/dev/prerequisites.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'pressluft-dev-'));

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('state directory lock', () => {
  it('writes our pid, refuses a second holder naming the live pid, and is removed on release', () => {
    const file = path.join(tmp(), 'dev.pid');
    const release = acquirePidLock(file, 1234, () => true);
    expect(readFileSync(file, 'utf8').trim()).toBe('1234');
    const err = (() => {
      try {
        acquirePidLock(file, 5678, () => true);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StateDirLockedError);
    expect((err as Error).message).toContain('pid 1234');
    release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a stale pid file whose process is gone', () => {
    const file = path.join(tmp(), 'dev.pid');
    const stale = deadPid();
    expect(isProcessAlive(stale)).toBe(false);
    writeFileSync(file, `${stale}\n`);
    const release = acquirePidLock(file, process.pid);
    expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    release();
  });

  it('takes over an unreadable pid file, and release leaves a file another process took', () => {
    const file = path.join(tmp(), 'dev.pid');
    writeFileSync(file, 'garbage');
    const release = acquirePidLock(file, 42, () => true);
    writeFileSync(file, '43\n'); // someone took it over meanwhile
    release();
    expect(readFileSync(file, 'utf8').trim()).toBe('43');
  });

  it('sees the current process as alive', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});

describe('privileges', () => {
  it('is root for uid 0, sudo when passwordless sudo works, else none', async () => {
    expect(await checkPrivilege(() => 0, async () => false)).toBe('root');
    expect(await checkPrivilege(() => 1000, async () => true)).toBe('sudo');
    expect(await checkPrivilege(() => 1000, async () => false)).toBe('none');
  });
});

describe('prerequisites', () => {
  it('finds executables on PATH only when they are executable files', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'tool'), 0o755);
    writeFileSync(path.join(dir, 'plain'), 'x');
    chmodSync(path.join(dir, 'plain'), 0o644);
    mkdirSync(path.join(dir, 'adir'));
    expect(findExecutable('tool', `/nonexistent:${dir}`)).toBe(path.join(dir, 'tool'));
    expect(findExecutable('plain', dir)).toBeNull();
    expect(findExecutable('adir', dir)).toBeNull();
  });

  it('needs a dashboard build when dist is missing or older than any source file', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'src', 'pages'), { recursive: true });
    const source = path.join(dir, 'src', 'pages', 'sites.tsx');
    writeFileSync(source, 'x');
    expect(dashboardNeedsBuild(dir)).toBe(true);
    mkdirSync(path.join(dir, 'dist'));
    const built = path.join(dir, 'dist', 'index.html');
    writeFileSync(built, '<html>');
    const now = Date.now() / 1000;
    utimesSync(source, now - 100, now - 100);
    utimesSync(built, now - 50, now - 50);
    expect(dashboardNeedsBuild(dir)).toBe(false);
    utimesSync(source, now - 10, now - 10);
    expect(dashboardNeedsBuild(dir)).toBe(true);
  });

  it('needs no build when there are no dashboard sources', () => {
    expect(dashboardNeedsBuild(tmp())).toBe(false);
  });
});
