import { inTransaction, type Ctx } from '../context.ts';
import { transitionNode } from '../state/state-machine.ts';

/** Nodes whose agent missed three heartbeats become `unreachable`; a silent socket is dropped. */
export async function markSilentNodes(ctx: Ctx): Promise<void> {
  const windowMs = 3 * ctx.config.heartbeatMs;
  const cutoff = new Date(ctx.clock.now().getTime() - windowMs).toISOString();
  const candidates = await ctx.db.selectFrom('nodes').select(['id'])
    .where('status', 'in', ['pending', 'provisioning', 'active'])
    .where('last_seen_at', 'is not', null).where('last_seen_at', '<', cutoff)
    .execute();
  for (const { id } of candidates) {
    const session = ctx.sessions.get(id);
    if (session && Date.now() - session.lastMessageAt < windowMs) continue;
    session?.close(4000, 'missed heartbeats');
    await inTransaction(ctx, (tx) => transitionNode(tx, id, 'unreachable', ['pending', 'provisioning', 'active']));
    ctx.log.warn({ nodeId: id }, 'node unreachable: missed heartbeats');
  }
}
