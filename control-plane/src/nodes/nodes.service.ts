import crypto from 'node:crypto';
import type { CreateNodeResponse } from '@pressluft/shared';
import { inTransaction, type Ctx, type Tx } from '../context.ts';
import { ApiFailure } from '../http/api-error.ts';
import { toNodeDto } from '../http/dto.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { dropQueuedJob } from '../jobs/finish-job.ts';
import { randomSecret, sha256 } from '../secrets/secret-box.ts';
import { getSetting } from '../settings.ts';
import { transitionNode } from '../state/state-machine.ts';

const TOKEN_TTL_MS = 3600_000;

/** Refused: the self-node's HTTP port would change under live environments (their preview URLs embed it). */
export class SelfNodePortConflictError extends Error {}

/** A fresh single-use registration token for a node, stored hashed, valid one hour. */
async function issueToken(tx: Tx, nodeId: string): Promise<{ token: string; expiresAt: string }> {
  const token = randomSecret(32);
  const expiresAt = new Date(tx.now.getTime() + TOKEN_TTL_MS).toISOString();
  await tx.db.insertInto('node_registration_tokens').values({ token_hash: sha256(token), node_id: nodeId, expires_at: expiresAt, used_at: null, created_at: tx.iso }).execute();
  return { token, expiresAt };
}

export async function createNode(ctx: Ctx, name: string): Promise<CreateNodeResponse> {
  return inTransaction(ctx, async (tx) => {
    const node = await tx.db.insertInto('nodes').values({
      id: crypto.randomUUID(), name, hostname: null, public_ip: null, os: null, status: 'pending', is_local: 0, http_port: 80,
      agent_version: null, last_seen_at: null, provisioned_at: null, created_at: tx.iso, updated_at: tx.iso,
    }).returningAll().executeTakeFirstOrThrow();
    const { token, expiresAt } = await issueToken(tx, node.id);
    tx.notes.push({ type: 'node', id: node.id });
    return { node: toNodeDto(node, false), registration_token: token, expires_at: expiresAt };
  });
}

/** Consumes a registration token and issues a new long-lived credential (replacing any old one). */
export async function registerNode(ctx: Ctx, input: { token: string; hostname: string; agent_version: string }): Promise<{ node_id: string; credential: string }> {
  return inTransaction(ctx, async (tx) => {
    const used = await tx.db.updateTable('node_registration_tokens').set({ used_at: tx.iso })
      .where('token_hash', '=', sha256(input.token)).where('used_at', 'is', null).where('expires_at', '>', tx.iso)
      .returning('node_id').executeTakeFirst();
    if (!used) throw new ApiFailure('unauthorized', 'The registration token is unknown, expired or already used.');
    const credential = randomSecret(32);
    await tx.db.insertInto('agent_credentials').values({ node_id: used.node_id, credential_hash: sha256(credential), created_at: tx.iso })
      .onConflict((oc) => oc.column('node_id').doUpdateSet({ credential_hash: sha256(credential), created_at: tx.iso })).execute();
    await tx.db.updateTable('nodes').set({ hostname: input.hostname, agent_version: input.agent_version, updated_at: tx.iso }).where('id', '=', used.node_id).execute();
    tx.notes.push({ type: 'node', id: used.node_id });
    return { node_id: used.node_id, credential };
  });
}

/** Enqueues node_provision (or returns the one already waiting or running); the node goes `provisioning`. */
export async function provisionNode(ctx: Ctx, nodeId: string): Promise<{ job_id: string }> {
  return inTransaction(ctx, async (tx) => {
    const node = await tx.db.selectFrom('nodes').selectAll().where('id', '=', nodeId).executeTakeFirst();
    if (!node) throw new ApiFailure('not_found', `node ${nodeId} does not exist`);
    const pending = await tx.db.selectFrom('jobs').select('id').where('node_id', '=', nodeId)
      .where('job_type', '=', 'node_provision').where('status', 'in', ['queued', 'running']).executeTakeFirst();
    if (pending) return { job_id: pending.id };
    const job = await enqueueJob(tx, ctx.config, {
      job_type: 'node_provision', node_id: nodeId, site_id: null, environment_id: null,
      vars: {
        pressluft_http_port: node.http_port,
        pressluft_wordpress_source: (await getSetting(tx.db, 'wordpress_source')) ?? 'debian',
        pressluft_wordpress_tarball: '',
      },
    });
    await transitionNode(tx, nodeId, 'provisioning');
    return { job_id: job.id };
  });
}

/** See ControlPlane.ensureSelfNode. */
export async function ensureSelfNode(
  ctx: Ctx, opts: { hostname: string; httpPort: number; needToken: boolean },
): Promise<{ nodeId: string; registrationToken: string | null }> {
  return inTransaction(ctx, async (tx) => {
    let node = await tx.db.selectFrom('nodes').selectAll().where('is_local', '=', 1).executeTakeFirst();
    if (!node) {
      node = await tx.db.insertInto('nodes').values({
        id: crypto.randomUUID(), name: 'self', hostname: opts.hostname, public_ip: null, os: null, status: 'pending', is_local: 1,
        http_port: opts.httpPort, agent_version: null, last_seen_at: null, provisioned_at: null, created_at: tx.iso, updated_at: tx.iso,
      }).returningAll().executeTakeFirstOrThrow();
    } else {
      if (node.http_port !== opts.httpPort) {
        const live = await tx.db.selectFrom('environments').select(({ fn }) => fn.countAll<number>().as('n'))
          .where('node_id', '=', node.id).where('status', '<>', 'deleted').executeTakeFirstOrThrow();
        if (Number(live.n) > 0) {
          throw new SelfNodePortConflictError(
            `The self-node serves ${live.n} environment(s) on HTTP port ${node.http_port}; delete them or start with --http-port ${node.http_port}.`,
          );
        }
      }
      if (node.http_port !== opts.httpPort) {
        // A waiting provision carries the old port in its vars: it must not run any more.
        const stale = await tx.db.selectFrom('jobs').selectAll().where('node_id', '=', node.id)
          .where('job_type', '=', 'node_provision').where('status', '=', 'queued').execute();
        for (const job of stale) await dropQueuedJob(tx, job, 'JOB_SUPERSEDED');
      }
      await tx.db.updateTable('nodes').set({ hostname: opts.hostname, http_port: opts.httpPort, updated_at: tx.iso }).where('id', '=', node.id).execute();
    }
    tx.notes.push({ type: 'node', id: node.id });
    const registrationToken = opts.needToken ? (await issueToken(tx, node.id)).token : null;
    return { nodeId: node.id, registrationToken };
  });
}
