import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnvironmentDto, JobDto, JobEventDto, SiteDto } from '@pressluft/shared';

export const ADMIN = { email: 'admin@example.test', password: 'correct horse battery' };
export const SITE_ID = '11111111-1111-4111-8111-111111111111';
export const ENV_ID = '22222222-2222-4222-8222-222222222222';
export const JOB_ID = '33333333-3333-4333-8333-333333333333';
export const NODE_ID = '44444444-4444-4444-8444-444444444444';

export interface RecordedRequest {
  method: string;
  url: string;
  cookie: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  body: unknown;
}

export interface FakeApiScript {
  /** Events the job's SSE stream sends, in order. */
  events: JobEventDto[];
  /** The job as GET /api/jobs/:id returns it once the stream has ended. */
  finalJob: JobDto;
  /** Close the first SSE connection after this many events (no `end`), to test resuming. */
  dropAfter?: number;
  /** Waiting reason reported while the stream is still sending. */
  waitingReason?: string | null;
  /** Delay between streamed events. */
  eventDelayMs?: number;
}

export function makeJob(over: Partial<JobDto> = {}): JobDto {
  return {
    id: JOB_ID, job_type: 'site_create', status: 'succeeded', site_id: SITE_ID, environment_id: ENV_ID, node_id: NODE_ID,
    attempt: 1, max_attempts: 3, run_after: '2025-01-01T00:00:00.000Z', lease_expires_at: null, waiting_reason: null,
    created_at: '2025-01-01T00:00:00.000Z', started_at: '2025-01-01T00:00:01.000Z', finished_at: '2025-01-01T00:00:03.500Z',
    error_code: null, error_message: null, failed_step: null, output_tail: null,
    ...over,
  };
}

export function makeEnv(over: Partial<EnvironmentDto> = {}): EnvironmentDto {
  return {
    id: ENV_ID, site_id: SITE_ID, name: 'Production', slug: 'production', type: 'production', status: 'active', node_id: NODE_ID,
    source_environment_id: null, preview_url: 'http://22222222.localhost:8080', created_at: '2025-01-01T00:00:00.000Z', updated_at: '2025-01-01T00:00:00.000Z',
    ...over,
  };
}

export function makeSite(over: Partial<SiteDto> = {}): SiteDto {
  return {
    id: SITE_ID, name: 'Acme', slug: 'acme', status: 'active', primary_environment_id: ENV_ID,
    created_at: '2025-01-01T00:00:00.000Z', updated_at: '2025-01-01T00:00:00.000Z', environments: [makeEnv()],
    ...over,
  };
}

export function stepEvent(seq: number, name: string, status: string, durationMs: number | null = 120, message: string | null = null): JobEventDto {
  return { job_id: JOB_ID, seq, attempt: 1, type: 'step', data: { kind: 'step', name, status, duration_ms: durationMs, message, at: '' }, created_at: '' };
}

/**
 * A fake control plane speaking the routes the CLI uses, with a scripted job: it records
 * every request so tests can check cookies, bodies and resumption.
 */
export async function startFakeApi(script: FakeApiScript) {
  const requests: RecordedRequest[] = [];
  const sessions = new Set<string>();
  let sseConnections = 0;
  let jobPolls = 0;
  let streamDone = false;
  let sessionCounter = 0;
  const sites: SiteDto[] = [makeSite()];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', url: req.url ?? '', cookie: req.headers.cookie, authorization: req.headers.authorization, contentType: req.headers['content-type'], accept: req.headers.accept, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };

    if (req.method === 'POST' && url.pathname === '/api/login') {
      if (body?.email !== ADMIN.email || body?.password !== ADMIN.password) return send(401, { code: 'unauthorized', message: 'wrong email or password' });
      const token = `tok${++sessionCounter}`;
      sessions.add(token);
      if (body.issue_token === true) return send(200, { token, expires_at: '2025-01-08T00:00:00.000Z' });
      res.setHeader('set-cookie', `session_token=${token}; Path=/; HttpOnly; SameSite=Lax`);
      return send(200, { ok: true });
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? /session_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!token || !sessions.has(token)) return send(401, { code: 'unauthorized', message: 'log in first' });
    if (req.method === 'POST' && url.pathname === '/api/logout') {
      sessions.delete(token);
      return send(200, { ok: true });
    }

    if (req.method === 'GET' && url.pathname === '/api/sites') return send(200, sites);
    if (req.method === 'GET' && url.pathname === `/api/sites/${SITE_ID}`) return send(200, sites[0]);
    if (req.method === 'POST' && url.pathname === '/api/sites') {
      if (body?.slug === 'taken') return send(409, { code: 'conflict', message: 'slug "taken" is in use' });
      return send(202, { job_id: JOB_ID, site_id: SITE_ID, environment_id: ENV_ID });
    }
    if (req.method === 'POST' && url.pathname === `/api/sites/${SITE_ID}/environments`) return send(202, { job_id: JOB_ID, environment_id: ENV_ID });
    if (req.method === 'GET' && url.pathname === `/api/environments/${ENV_ID}`) return send(200, makeEnv());
    if (req.method === 'GET' && url.pathname === '/api/jobs') return send(200, [script.finalJob]);
    if (req.method === 'GET' && url.pathname === `/api/jobs/${JOB_ID}`) {
      jobPolls++;
      return send(200, streamDone ? script.finalJob : makeJob({ status: 'queued', waiting_reason: script.waitingReason ?? null, started_at: null, finished_at: null }));
    }
    if (req.method === 'GET' && url.pathname === `/api/jobs/${JOB_ID}/events`) {
      const after = Number(url.searchParams.get('after') ?? 0);
      if (req.headers.accept !== 'text/event-stream') return send(200, script.events.filter((e) => e.seq > after));
      const connection = ++sseConnections;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': ping\n\n');
      // With a waiting reason, hold the events until the client has polled the job once, so
      // it had its chance to see the reason while the job was still queued.
      const deadline = Date.now() + 15_000;
      while (script.waitingReason && jobPolls === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      let sent = 0;
      for (const event of script.events.filter((e) => e.seq > after)) {
        if (script.eventDelayMs) await new Promise((r) => setTimeout(r, script.eventDelayMs));
        if (connection === 1 && script.dropAfter !== undefined && sent === script.dropAfter) {
          // Let the client read what was sent before the connection breaks.
          await new Promise((r) => setTimeout(r, 300));
          res.socket?.destroy();
          return;
        }
        // Split each event over two writes to exercise the parser's buffering.
        const text = `id: ${event.seq}\nevent: job_event\ndata: ${JSON.stringify(event)}\n\n`;
        res.write(text.slice(0, 7));
        res.write(text.slice(7));
        sent++;
      }
      streamDone = true;
      res.end(`event: end\ndata: ${JSON.stringify({ status: script.finalJob.status })}\n\n`);
      return;
    }
    return send(404, { code: 'not_found', message: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sessions,
    get sseConnections() { return sseConnections; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
