import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.ts';
import { secureStateDir } from './state-dir.ts';
import * as initial from './migrations/2026-12-01-0001-initial.ts';
import * as retentionIndexes from './migrations/2026-12-07-0001-retention-indexes.ts';

export type Db = Kysely<Database>;

// Migrations are imported statically (no build step, no directory scan at runtime); the
// names are timestamps so Migrator applies them in order.
const MIGRATIONS: Record<string, Migration> = {
  '2026-12-01-0001-initial': initial,
  '2026-12-07-0001-retention-indexes': retentionIndexes,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Kysely prepares every query afresh; compiling SQL dominates small queries, so reuse the
 * prepared statement per SQL text (the set of distinct texts is small and fixed).
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (source: string) => {
          let statement = cache.get(source);
          if (!statement) {
            statement = target.prepare(source);
            if (cache.size < 2000) cache.set(source, statement);
          }
          return statement;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Opens (creating if needed, 0700/0600) `<stateDir>/pressluft.db` in WAL mode and applies every migration. */
export async function openDatabase(stateDir: string): Promise<Db> {
  secureStateDir(stateDir);
  const sqlite = new SQLite(path.join(stateDir, 'pressluft.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Other connections (tests, a second process) wait for the write lock instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return db;
}
