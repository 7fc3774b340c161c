import crypto from 'node:crypto';
import { nodePreviewBase, previewUrl } from '@pressluft/shared';
import type { Ctx, Tx } from '../context.ts';
import type { EnvironmentRow, NodeRow } from '../db/schema.ts';
import { randomSecret } from '../secrets/secret-box.ts';
import { getSetting } from '../settings.ts';
import type { EnvironmentSecrets } from '../agent/build-dispatch.ts';

export interface NewEnvironmentInput {
  site_id: string;
  name: string;
  slug: string;
  type: EnvironmentRow['type'];
  node: NodeRow;
  source_environment_id: string | null;
  /** Production environments also get the WordPress admin password. */
  withAdminPassword: boolean;
}

/**
 * Inserts an environment in `creating` with a fresh id whose preview URL no live environment
 * uses, and stores its generated secrets encrypted.
 */
export async function insertEnvironment(ctx: Ctx, tx: Tx, input: NewEnvironmentInput): Promise<EnvironmentRow> {
  const base = nodePreviewBase({ is_local: input.node.is_local === 1, public_ip: input.node.public_ip, http_port: input.node.http_port }, await getSetting(tx.db, 'preview_domain'));
  let id = crypto.randomUUID();
  let url = previewUrl(id, base);
  for (let i = 0; i < 20; i++) {
    const taken = await tx.db.selectFrom('environments').select('id').where('preview_url', '=', url).where('status', '<>', 'deleted').executeTakeFirst();
    if (!taken) break;
    id = crypto.randomUUID();
    url = previewUrl(id, base);
  }
  const env = await tx.db.insertInto('environments').values({
    id, site_id: input.site_id, name: input.name, slug: input.slug, type: input.type, status: 'creating',
    node_id: input.node.id, source_environment_id: input.source_environment_id, preview_url: url,
    created_at: tx.iso, updated_at: tx.iso,
  }).returningAll().executeTakeFirstOrThrow();
  const secrets: EnvironmentSecrets = { db_password: randomSecret(24), ...(input.withAdminPassword ? { admin_password: randomSecret(18) } : {}) };
  await tx.db.insertInto('environment_secrets').values({ environment_id: id, ciphertext: ctx.secrets.encrypt(JSON.stringify(secrets)), created_at: tx.iso }).execute();
  tx.notes.push({ type: 'environment', id, site_id: input.site_id });
  return env;
}

/** The preview host without port, as the vhost's server_name. */
export function previewHost(url: string): string {
  return new URL(url).hostname;
}
