import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyWebsocket from '@fastify/websocket';
import pino, { type Logger } from 'pino';
import { MAX_MESSAGE_BYTES } from '@pressluft/shared';
import { pressluftApp } from './app.ts';
import { AgentSessions } from './agent/agent-sessions.ts';
import { Dispatcher } from './agent/dispatcher.ts';
import { bootstrapAdmin } from './auth/admin-bootstrap.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';
import type { Clock, Ctx } from './context.ts';
import { openDatabase } from './db/open-database.ts';
import { ChangeBus } from './events/change-bus.ts';
import { expireLeases, graceRunningLeases } from './jobs/recover-jobs.ts';
import { pruneState } from './maintenance/prune-state.ts';
import { markSilentNodes } from './nodes/heartbeat-sweep.ts';
import { ensureSelfNode } from './nodes/nodes.service.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { setSetting } from './settings.ts';

export interface ControlPlaneOptions {
  stateDir: string;
  host?: string;
  port: number;
  logger?: Logger;
  adminEmail?: string;
  adminPassword?: string;
  dashboardDir?: string | null;
  /** Serve HTTPS (and wss:// for agents) with this PEM certificate and key. */
  tls?: { cert: Buffer | string; key: Buffer | string } | null;
  /** Addresses/CIDRs of reverse proxies whose X-Forwarded-* headers are believed; none by default. */
  trustedProxies?: string[];
  /** Where agents and browsers reach this control plane; default the listen URL (unless a wildcard). */
  publicUrl?: string | null;
  /** Stored as the `preview_domain` setting at start; null/undefined leaves the stored one. */
  previewDomain?: string | null;
  /** Overrides of the env-derived runtime config (tests use short leases and backoffs). */
  config?: Partial<RuntimeConfig>;
  clock?: Clock;
}

export interface ControlPlane {
  url: string;
  app: FastifyInstance;
  generatedAdmin: { email: string; password: string } | null;
  ensureSelfNode(opts: { hostname: string; httpPort: number; needToken: boolean }): Promise<{ nodeId: string; registrationToken: string | null }>;
  close(): Promise<void>;
}

const BODY_LIMIT = 64 * 1024;

function defaultDashboardDir(): string | null {
  const dir = fileURLToPath(new URL('../dashboard/dist', import.meta.url));
  return fs.existsSync(`${dir}/index.html`) ? dir : null;
}

/** Opens the state, starts the HTTP server, the dispatcher and the lease/heartbeat sweeps. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.logger ?? pino({ level: process.env.PRESSLUFT_LOG_LEVEL ?? 'info' }, pino.destination(2));
  const config: RuntimeConfig = { ...loadConfig(process.env), ...opts.config };
  if (opts.publicUrl) config.publicUrl = opts.publicUrl;
  const db = await openDatabase(opts.stateDir);
  if (opts.previewDomain) await setSetting(db, 'preview_domain', opts.previewDomain);
  const dispatcher = new Dispatcher(() => ctx);
  const ctx: Ctx = {
    db, config, log,
    bus: new ChangeBus(),
    clock: opts.clock ?? { now: () => new Date() },
    secrets: SecretBox.open(opts.stateDir),
    sessions: new AgentSessions(),
    kick: () => dispatcher.kick(),
  };
  await graceRunningLeases(ctx);
  const generatedAdmin = await bootstrapAdmin(db, opts.adminEmail ?? process.env.PRESSLUFT_ADMIN_EMAIL, opts.adminPassword ?? process.env.PRESSLUFT_ADMIN_PASSWORD);

  // The pino Logger type is wider than FastifyBaseLogger's generic slot; the instance is the same.
  // close() lets in-flight requests finish ('idle' drops only idle keep-alive sockets) for up
  // to drainMs; SSE streams are ended in preClose, agent sockets by closeAll below.
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    trustProxy: opts.trustedProxies && opts.trustedProxies.length > 0 ? opts.trustedProxies : false,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  // While closing, a response that finishes tells its client to hang up, so a keep-alive socket
  // does not hold close() until drainMs.
  let draining = false;
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });
  await app.register(pressluftApp, { ctx, dashboardDir: opts.dashboardDir === undefined ? defaultDashboardDir() : opts.dashboardDir });

  let sweeping: Promise<void> | null = null;
  const ticker = setInterval(() => {
    if (sweeping) return;
    sweeping = (async () => {
      try {
        await expireLeases(ctx);
        await markSilentNodes(ctx);
        dispatcher.kick();
      } catch (error) {
        log.error({ err: error }, 'sweep failed');
      } finally {
        sweeping = null;
      }
    })();
  }, config.tickMs);

  let pruning: Promise<void> | null = null;
  const prune = () => {
    pruning ??= (async () => {
      try {
        const pruned = await pruneState(db, ctx.clock.now(), { jobEventsDays: config.jobEventsRetentionDays, auditLogDays: config.auditLogRetentionDays });
        log.info({ pruned }, 'old job events, audit rows and expired sessions pruned');
      } catch (error) {
        log.error({ err: error }, 'prune failed');
      } finally {
        pruning = null;
      }
    })();
  };
  const host = opts.host ?? '127.0.0.1';
  const address = await app.listen({ host, port: opts.port });
  const url = address.replace('[::1]', '127.0.0.1');
  if (!config.publicUrl && host !== '0.0.0.0' && host !== '::') config.publicUrl = url;
  log.info({ url: address, publicUrl: config.publicUrl, tls: Boolean(opts.tls), trustedProxies: opts.trustedProxies ?? [] }, 'control plane listening');
  prune();
  const pruneTicker = setInterval(prune, config.pruneIntervalMs);
  dispatcher.kick();

  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    generatedAdmin,
    ensureSelfNode: (o) => ensureSelfNode(ctx, o),
    close() {
      closing ??= (async () => {
        clearInterval(ticker);
        clearInterval(pruneTicker);
        await sweeping;
        await pruning;
        await dispatcher.stop();
        ctx.sessions.closeAll(1001, 'control plane shutting down');
        draining = true;
        const drained = setTimeout(() => app.server.closeAllConnections(), config.drainMs);
        await app.close();
        clearTimeout(drained);
        await db.destroy();
      })();
      return closing;
    },
  };
}
