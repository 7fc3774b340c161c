import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { startControlPlane, type ControlPlane } from '../../src/index.ts';
import type { RuntimeConfig } from '../../src/config.ts';
import type { Ctx } from '../../src/context.ts';

export const ADMIN = { email: 'admin@pressluft.test', password: 'correct horse battery staple' };

export interface Built {
  cp: ControlPlane;
  ctx: Ctx;
  stateDir: string;
  cookie: string;
  /** app.inject with the admin session cookie and a JSON body (the content type goes even without a body, as cookie clients must send it). */
  api(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A control plane on a temporary state dir (real SQLite file), logged in as the admin. */
export async function build(opts: { stateDir?: string; config?: Partial<RuntimeConfig>; port?: number } = {}): Promise<Built> {
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'pressluft-cp-'));
  const cp = await startControlPlane({
    stateDir, port: opts.port ?? 0, adminEmail: ADMIN.email, adminPassword: ADMIN.password, dashboardDir: null,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    config: { backoffSeconds: [0.2, 0.2], heartbeatMs: 5000, leaseMs: 30_000, ...opts.config },
  });
  const login = await cp.app.inject({ method: 'POST', url: '/api/login', payload: ADMIN });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const cookie = login.cookies.find((c) => c.name === 'session_token')!;
  const cookieHeader = `session_token=${cookie.value}`;
  return {
    cp, ctx: cp.app.pressluft, stateDir, cookie: cookieHeader,
    api: (method, url, body, headers = {}) => cp.app.inject({
      method, url, headers: { cookie: cookieHeader, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    }),
    close: () => cp.close(),
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function countRows(ctx: Ctx, table: 'sites' | 'environments' | 'jobs' | 'nodes' | 'job_events' | 'environment_secrets'): Promise<number> {
  const row = await ctx.db.selectFrom(table).select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
