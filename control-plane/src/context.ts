import type { Logger } from 'pino';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './db/schema.ts';
import type { RuntimeConfig } from './config.ts';
import type { ChangeBus, BusNote } from './events/change-bus.ts';
import type { SecretBox } from './secrets/secret-box.ts';
import type { AgentSessions } from './agent/agent-sessions.ts';

export interface Clock {
  now(): Date;
}

/** The services every feature uses; built once in app.ts. */
export interface Ctx {
  db: Kysely<Database>;
  config: RuntimeConfig;
  bus: ChangeBus;
  clock: Clock;
  log: Logger;
  secrets: SecretBox;
  sessions: AgentSessions;
  /** Asks the dispatcher to look for claimable jobs soon. */
  kick(): void;
}

/** A unit of work: the open transaction, its notes (published after commit) and its clock reading. */
export interface Tx {
  db: Transaction<Database>;
  notes: BusNote[];
  now: Date;
  iso: string;
}

/** Runs `fn` in one transaction and publishes its notes after the commit. */
export async function inTransaction<T>(ctx: Ctx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const notes: BusNote[] = [];
  const now = ctx.clock.now();
  const result = await ctx.db.transaction().execute((db) => fn({ db, notes, now, iso: now.toISOString() }));
  ctx.bus.publish(notes);
  return result;
}
