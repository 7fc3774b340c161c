import crypto from 'node:crypto';
import { LoginRequest } from '@pressluft/shared';
import type { Db } from '../db/open-database.ts';
import { randomSecret } from '../secrets/secret-box.ts';
import { hashPassword } from './passwords.ts';

/**
 * The first admin: from the given email/password when no user exists yet, otherwise a
 * generated one whose password is returned once (and never logged).
 */
export async function bootstrapAdmin(
  db: Db, email: string | undefined, password: string | undefined,
): Promise<{ email: string; password: string } | null> {
  const existing = await db.selectFrom('users').select('id').executeTakeFirst();
  if (existing) return null;
  // The admin email also becomes WordPress's admin email; refuse one that could never log in.
  if (email && !LoginRequest.shape.email.safeParse(email).success) {
    throw new Error(`PRESSLUFT_ADMIN_EMAIL "${email}" is not a valid email address`);
  }
  const now = new Date().toISOString();
  if (email && password) {
    await db.insertInto('users').values({ id: crypto.randomUUID(), email: email.toLowerCase(), password_hash: await hashPassword(password), created_at: now }).execute();
    return null;
  }
  const generated = { email: email?.toLowerCase() ?? 'admin@pressluft.local', password: randomSecret(18) };
  await db.insertInto('users').values({ id: crypto.randomUUID(), email: generated.email, password_hash: await hashPassword(generated.password), created_at: now }).execute();
  return generated;
}

/** The email used as WordPress admin email: the oldest user's. */
export async function adminEmail(db: Db): Promise<string> {
  const row = await db.selectFrom('users').select('email').orderBy('created_at').limit(1).executeTakeFirst();
  return row?.email ?? 'admin@pressluft.local';
}
