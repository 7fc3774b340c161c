import fs from 'node:fs';
import path from 'node:path';

/** The database file and SQLite's companions; SQLite creates -wal and -shm with the main file's mode. */
export const DATABASE_FILES = ['pressluft.db', 'pressluft.db-wal', 'pressluft.db-shm'] as const;

/**
 * Makes `<stateDir>` 0700 and the database (created empty if missing, so SQLite inherits the
 * mode for its -wal/-shm) and every other file directly in it 0600, whatever the umask or an
 * older install left. The state holds the session hashes, the encrypted secrets and their key.
 */
export function secureStateDir(stateDir: string): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(stateDir, 0o700);
  fs.closeSync(fs.openSync(path.join(stateDir, DATABASE_FILES[0]), fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
  for (const entry of fs.readdirSync(stateDir, { withFileTypes: true })) {
    // Never chmod through a symlink, nor directories (the agent's own state keeps its modes).
    if (entry.isFile()) fs.chmodSync(path.join(stateDir, entry.name), 0o600);
  }
}
