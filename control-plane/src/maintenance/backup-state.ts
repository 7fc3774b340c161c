import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';

export interface BackupResult {
  database: string;
  key: string;
  bytes: number;
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** An empty 0600 file, created exclusively (never an existing file, never through a symlink). */
function createPrivate(file: string): void {
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, 0o600));
}

/**
 * Copies `<stateDir>/pressluft.db` (SQLite's online backup: a consistent snapshot while the
 * control plane keeps writing) and `secret.key` into `toDir`, both 0600. Each file appears under
 * its final name only when complete; existing files in `toDir` are never replaced.
 */
export async function backupState(stateDir: string, toDir: string): Promise<BackupResult> {
  const source = path.join(stateDir, 'pressluft.db');
  const sourceKey = path.join(stateDir, 'secret.key');
  for (const file of [source, sourceKey]) {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: is ${stateDir} a control plane state directory?`);
  }
  fs.mkdirSync(toDir, { recursive: true, mode: 0o700 });
  const database = path.join(toDir, 'pressluft.db');
  const key = path.join(toDir, 'secret.key');
  for (const file of [database, key]) {
    if (fs.existsSync(file)) throw new Error(`${file} already exists; back up into an empty directory`);
  }

  const partialDb = `${database}.partial`;
  const partialKey = `${key}.partial`;
  try {
    // Pre-created 0600 so the copy is never readable by others, not even while it is written.
    createPrivate(partialDb);
    const sqlite = new SQLite(source, { fileMustExist: true });
    try {
      sqlite.pragma('busy_timeout = 5000');
      // All pages in one step, i.e. one read transaction: a write by the running control plane
      // between small steps would restart the copy (and could keep restarting it). In WAL
      // mode that read does not block the control plane's writes.
      await sqlite.backup(partialDb, { progress: () => 0x7fffffff });
    } finally {
      sqlite.close();
    }
    createPrivate(partialKey);
    fs.writeFileSync(partialKey, fs.readFileSync(sourceKey));
    for (const file of [partialDb, partialKey]) fsyncPath(file);
    fs.renameSync(partialDb, database);
    fs.renameSync(partialKey, key);
    fsyncPath(toDir);
  } finally {
    for (const file of [partialDb, partialKey]) fs.rmSync(file, { force: true });
  }
  return { database, key, bytes: fs.statSync(database).size };
}
