import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** Another live `pressluft serve` or `pressluft dev` holds the state directory. */
export class StateDirLockedError extends Error {
  constructor(readonly pid: number, readonly file: string) {
    super(`another pressluft process (pid ${pid}) is running on this state directory (${file}); stop it first or use another --state-dir`);
    this.name = 'StateDirLockedError';
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<state>/pressluft.pid` for this process. A file naming a live process refuses; one naming
 * a dead process (a crash, a reboot) is stale and taken over. Returns the release function,
 * which removes the file only while it still names this process.
 */
export function acquirePidLock(file: string, pid = process.pid, isAlive: (pid: number) => boolean = isProcessAlive): () => void {
  for (let tries = 0; tries < 5; tries++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      return () => releasePidLock(file, pid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readPid(file);
    if (holder !== null && holder !== pid && isAlive(holder)) throw new StateDirLockedError(holder, file);
    // Stale (or unreadable, or our own pid from a reused pid number): remove and retry the
    // exclusive create, so two starters racing on the same stale file cannot both win.
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`could not take the lock file ${file}`);
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function releasePidLock(file: string, pid: number): void {
  if (readPid(file) !== pid) return;
  try {
    unlinkSync(file);
  } catch {}
}
