import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { AgentMessage, CLOSE_CODES } from '@pressluft/shared';
import { inTransaction, type Ctx } from '../context.ts';
import { sha256 } from '../secrets/secret-box.ts';
import { failAttempt } from '../jobs/finish-job.ts';
import { AgentSession } from './agent-sessions.ts';
import { handleHello } from './handle-hello.ts';
import { ingestJobEvent } from './ingest-event.ts';

const MAX_VIOLATIONS = 5;

/** Checks `Bearer <node id>:<credential>` against the stored sha256 of the credential. */
async function authenticate(ctx: Ctx, header: string | undefined): Promise<string | null> {
  const match = /^Bearer ([^:\s]+):(\S+)$/.exec(header ?? '');
  if (!match) return null;
  const [, nodeId, credential] = match;
  const row = await ctx.db.selectFrom('agent_credentials').select('credential_hash').where('node_id', '=', nodeId).executeTakeFirst();
  if (!row) return null;
  const a = Buffer.from(row.credential_hash, 'hex');
  const b = Buffer.from(sha256(credential), 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b) ? nodeId : null;
}

/** Every message from a node's agent proves it alive: extend its jobs' leases (throttled). */
async function touch(ctx: Ctx, session: AgentSession): Promise<void> {
  const now = Date.now();
  session.lastMessageAt = now;
  if (now - session.lastTouchAt < Math.min(1000, ctx.config.leaseMs / 10)) return;
  session.lastTouchAt = now;
  const at = ctx.clock.now();
  await ctx.db.updateTable('nodes').set({ last_seen_at: at.toISOString() }).where('id', '=', session.nodeId).execute();
  if (session.activeJobs.size > 0) {
    await ctx.db.updateTable('jobs')
      .set({ lease_expires_at: new Date(at.getTime() + ctx.config.leaseMs).toISOString() })
      .where('id', 'in', [...session.activeJobs]).where('status', '=', 'running').where('node_id', '=', session.nodeId)
      .execute();
  }
}

/** An invalid answer to a pending query ends that query now (node_error) instead of at its deadline. */
function settleInvalidQueryResult(session: AgentSession, raw: string): void {
  let requestId: unknown;
  try {
    const message = JSON.parse(raw) as { type?: unknown; request_id?: unknown };
    if (message?.type === 'node_query_result') requestId = message.request_id;
  } catch {
    return;
  }
  const settle = typeof requestId === 'string' ? session.pendingQueries.get(requestId) : undefined;
  settle?.({ ok: false, code: 'failed', message: 'the agent answered with an invalid result' });
}

async function handleMessage(ctx: Ctx, session: AgentSession, raw: string): Promise<void> {
  let parsed: AgentMessage;
  try {
    const result = AgentMessage.safeParse(JSON.parse(raw));
    if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '));
    parsed = result.data;
  } catch (error) {
    session.violations += 1;
    session.log.warn({ violations: session.violations, reason: (error as Error).message.slice(0, 300) }, 'invalid agent message');
    session.send({ type: 'error', code: 'bad_request', message: `invalid message: ${(error as Error).message.slice(0, 300)}` });
    settleInvalidQueryResult(session, raw);
    if (session.violations >= MAX_VIOLATIONS) session.close(CLOSE_CODES.TOO_MANY_VIOLATIONS, 'too many invalid messages');
    return;
  }
  if (!session.ready && parsed.type !== 'hello') {
    session.close(CLOSE_CODES.HELLO_REQUIRED, 'hello must come first');
    return;
  }
  // A hello writes nothing before it is validated (handleHello records last_seen_at itself).
  if (parsed.type !== 'hello') await touch(ctx, session);
  switch (parsed.type) {
    case 'hello':
      if (session.ready) return;
      session.lastMessageAt = Date.now();
      await handleHello(ctx, session, parsed);
      return;
    case 'heartbeat':
      return;
    case 'job_accepted': {
      const job = await ctx.db.selectFrom('jobs').select(['status', 'attempt', 'node_id']).where('id', '=', parsed.job_id).executeTakeFirst();
      if (job?.status === 'running' && job.attempt === parsed.attempt && job.node_id === session.nodeId) session.activeJobs.add(parsed.job_id);
      return;
    }
    case 'job_rejected':
      await inTransaction(ctx, async (tx) => {
        const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', parsed.job_id).executeTakeFirst();
        if (job?.status === 'running' && job.attempt === parsed.attempt && job.node_id === session.nodeId) {
          await failAttempt(tx, ctx.config, job, { code: 'AGENT_REJECTED', message: parsed.reason });
        }
      });
      session.activeJobs.delete(parsed.job_id);
      ctx.kick();
      return;
    case 'job_event':
      await ingestJobEvent(ctx, session, parsed);
      return;
    case 'node_query_result': {
      const settle = session.pendingQueries.get(parsed.request_id);
      // Late (past its deadline) or unknown: the caller has already answered.
      if (!settle) session.log.info({ requestId: parsed.request_id }, 'node query answer after its deadline dropped');
      else settle(parsed.result);
      return;
    }
    case 'error':
      session.log.warn({ code: parsed.code, message: parsed.message.slice(0, 300) }, 'agent reported an error');
      return;
  }
}

/** The websocket route `/api/agent/ws`: authentication, hello, and one serialized handler chain per connection. */
export function registerAgentSocket(app: FastifyInstance, ctx: Ctx): void {
  // Public to the session check: the agent authenticates with its node credential below.
  app.get('/api/agent/ws', { websocket: true, config: { public: true } }, (socket: WebSocket, request) => {
    const log = ctx.log.child({ remote: request.ip });
    let session: AgentSession | null = null;
    // Handlers run one after another, in arrival order, after authentication finished;
    // listeners are attached synchronously so no early message is lost.
    let chain: Promise<unknown> = authenticate(ctx, request.headers.authorization).then((nodeId) => {
      if (!nodeId) {
        log.warn('agent rejected: bad credential');
        socket.close(CLOSE_CODES.BAD_CREDENTIAL, 'bad credential');
        return;
      }
      // The peer may have gone while we checked; registering it now would leave a ghost.
      if (socket.readyState !== socket.OPEN) return;
      session = new AgentSession(nodeId, socket, ctx.log.child({ nodeId }));
      const previous = ctx.sessions.register(session);
      if (previous) {
        previous.log.info('agent connection superseded by a newer one');
        previous.close(CLOSE_CODES.SUPERSEDED, 'superseded by a newer connection');
      }
      const current = session;
      const timer = setTimeout(() => {
        if (!current.ready) current.close(CLOSE_CODES.HELLO_REQUIRED, 'no hello in time');
      }, ctx.config.helloTimeoutMs);
      socket.once('close', () => clearTimeout(timer));
    }).catch((error: unknown) => {
      log.error({ err: error }, 'agent authentication failed');
      socket.close(1011, 'internal error');
    });

    socket.on('message', (data, isBinary) => {
      // Binary frames are not part of the protocol: they fail parsing and count as a violation.
      const raw = isBinary ? '\u0000binary frame' : data.toString();
      chain = chain.then(async () => {
        const current = session as AgentSession | null;
        if (!current || current.closed || ctx.sessions.stopping) return;
        try {
          await handleMessage(ctx, current, raw);
        } catch (error) {
          current.log.error({ err: error }, 'agent message handler failed');
          current.send({ type: 'error', code: 'internal', message: 'the control plane could not handle this message' });
        }
      });
    });

    socket.on('error', (error) => log.warn({ err: error }, 'agent socket error'));
    socket.on('close', (code) => {
      const current = session as AgentSession | null;
      if (!current) return;
      current.closed = true;
      current.dropQueries();
      if (ctx.sessions.unregister(current)) {
        current.log.info({ code }, 'agent disconnected');
        ctx.bus.publish([{ type: 'node', id: current.nodeId }]);
      }
    });
  });
}
