/**
 * A stand-in for the control plane's public API, for working on the dashboard without nodes:
 * `npx tsx control-plane/dashboard/dev/mock-server.ts [port]` serves dist/ (SPA fallback) and a
 * fake /api where jobs stream invented steps. A site whose name contains "fail" fails at its
 * third step. Login: admin@example.com / password. Not used by any test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { ChangeEvent, EnvironmentDto, JobDto, JobEventDto, NodeDto, SiteDto } from '@pressluft/shared';

const port = Number(process.argv[2] ?? 5180);
const dist = join(import.meta.dirname, '..', 'dist');
const now = () => new Date().toISOString();
const sessions = new Set<string>();
const node: NodeDto = { id: randomUUID(), name: 'self', hostname: 'devbox', public_ip: null, status: 'active', is_local: true, http_port: 8088, agent_version: '0.1.0', agent_connected: true, last_seen_at: now(), created_at: now() };
const sites: SiteDto[] = [];
const envs: EnvironmentDto[] = [];
const jobs: JobDto[] = [];
const events = new Map<string, JobEventDto[]>();
const changeStreams = new Set<ServerResponse>();
const jobStreams = new Map<string, Set<ServerResponse>>();
const STEPS = ["Check the job's variables", 'Create the environment and install WordPress'];

function change(event: ChangeEvent): void {
  for (const res of changeStreams) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

function addEvent(job: JobDto, type: JobEventDto['type'], data: Record<string, unknown>): void {
  const list = events.get(job.id)!;
  const event: JobEventDto = { job_id: job.id, seq: list.length + 1, attempt: job.attempt, type, data, created_at: now() };
  list.push(event);
  for (const res of jobStreams.get(job.id) ?? []) res.write(`id: ${event.seq}\nevent: job_event\ndata: ${JSON.stringify(event)}\n\n`);
}

function finish(job: JobDto, ok: boolean, failedStep: string | null): void {
  job.status = ok ? 'succeeded' : 'failed';
  job.finished_at = now();
  if (!ok) Object.assign(job, { error_code: 'ANSIBLE_HOST_FAILED', error_message: 'A task failed on the node', failed_step: failedStep, output_tail: `TASK [${failedStep}]\nfatal: [localhost]: FAILED! => {"msg": "simulated failure"}` });
  addEvent(job, 'result', { kind: 'result', ok, exit_code: ok ? 0 : 2, error_code: job.error_code, error_message: job.error_message, failed_step: job.failed_step, output_tail: job.output_tail, duration_ms: 3000, at: now() });
  const env = envs.find((e) => e.id === job.environment_id);
  const site = sites.find((s) => s.id === job.site_id);
  const status = job.job_type.endsWith('delete') ? 'deleted' : ok ? 'active' : 'failed';
  if (env) { env.status = status; change({ type: 'environment', id: env.id, site_id: env.site_id }); }
  if (site && (job.job_type === 'site_create' || job.job_type === 'site_delete')) { site.status = status; change({ type: 'site', id: site.id }); }
  change({ type: 'job', id: job.id, status: job.status });
  for (const res of jobStreams.get(job.id) ?? []) res.end(`event: end\ndata: ${JSON.stringify({ status: job.status })}\n\n`);
}

function enqueue(partial: Pick<JobDto, 'job_type' | 'site_id' | 'environment_id'>, fail: boolean): JobDto {
  const job: JobDto = { id: randomUUID(), status: 'queued', node_id: node.id, attempt: 1, max_attempts: 3, run_after: now(), lease_expires_at: null, waiting_reason: null, created_at: now(), started_at: null, finished_at: null, error_code: null, error_message: null, failed_step: null, output_tail: null, ...partial };
  jobs.unshift(job);
  events.set(job.id, []);
  change({ type: 'job', id: job.id, status: 'queued' });
  let i = 0;
  const tick = () => {
    if (job.status === 'cancelled') return;
    if (i === 0) { job.status = 'running'; job.started_at = now(); change({ type: 'job', id: job.id, status: 'running' }); }
    const name = STEPS[i];
    if (name && fail && i === 2) { addEvent(job, 'step', { kind: 'step', name, status: 'failed', duration_ms: 80, message: 'simulated failure', at: now() }); return finish(job, false, name); }
    if (!name) {
      const env = envs.find((e) => e.id === job.environment_id);
      if (env && !job.job_type.endsWith('delete')) addEvent(job, 'reachability', { kind: 'reachability', ok: true, url: env.preview_url, host: new URL(env.preview_url).host, environment_id: env.id, http_status: 200, header_environment_id: env.id, home_url: env.preview_url, is_wordpress: true, latency_ms: 41, attempts: 1, reason: null, body_excerpt: null, at: now() });
      return finish(job, true, null);
    }
    addEvent(job, 'step', { kind: 'step', name, status: 'started', duration_ms: null, message: null, at: now() });
    setTimeout(() => { addEvent(job, 'step', { kind: 'step', name, status: i % 3 === 0 ? 'ok' : 'changed', duration_ms: 200 + i * 37, message: null, at: now() }); i += 1; setTimeout(tick, 150); }, 350);
  };
  setTimeout(tick, 500);
  return job;
}

function newEnv(siteId: string, name: string, slug: string, type: EnvironmentDto['type'], source: string | null): EnvironmentDto {
  const id = randomUUID();
  const env: EnvironmentDto = { id, site_id: siteId, name, slug, type, status: 'creating', node_id: node.id, source_environment_id: source, preview_url: `http://${id.slice(0, 8)}.localhost:${node.http_port}`, created_at: now(), updated_at: now() };
  envs.push(env);
  return env;
}

const withEnvs = (site: SiteDto): SiteDto => ({ ...site, environments: envs.filter((e) => e.site_id === site.id) });
const json = (res: ServerResponse, status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
const fail = (res: ServerResponse, status: number, code: string, message: string) => json(res, status, { code, message });
async function body(req: IncomingMessage): Promise<any> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (method === 'POST' && path === '/api/login') {
    const { email, password } = await body(req);
    if (email !== 'admin@example.com' || password !== 'password') return fail(res, 401, 'unauthorized', 'Wrong email or password');
    const token = randomUUID();
    sessions.add(token);
    res.setHeader('set-cookie', `pl_session=${token}; Path=/; HttpOnly; SameSite=Lax`);
    return json(res, 200, { ok: true });
  }
  const token = /pl_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (!token || !sessions.has(token)) return fail(res, 401, 'unauthorized', 'Log in first');
  if (method === 'POST' && path === '/api/logout') { sessions.delete(token); return json(res, 200, { ok: true }); }
  if (path === '/api/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': hello\n\n');
    changeStreams.add(res);
    req.on('close', () => changeStreams.delete(res));
    return;
  }
  if (path === '/api/nodes') { node.last_seen_at = now(); return json(res, 200, [node]); }
  if (method === 'GET' && path === '/api/sites') return json(res, 200, sites.filter((s) => s.status !== 'deleted').map(withEnvs));
  if (method === 'POST' && path === '/api/sites') {
    const { name, slug } = await body(req);
    if (sites.some((s) => s.slug === slug && s.status !== 'deleted')) return fail(res, 409, 'conflict', `slug ${slug} is taken`);
    const site: SiteDto = { id: randomUUID(), name, slug, status: 'creating', primary_environment_id: null, created_at: now(), updated_at: now() };
    const env = newEnv(site.id, 'Production', 'production', 'production', null);
    site.primary_environment_id = env.id;
    sites.push(site);
    const job = enqueue({ job_type: 'site_create', site_id: site.id, environment_id: env.id }, /fail/i.test(name));
    change({ type: 'site', id: site.id });
    return json(res, 202, { job_id: job.id, site_id: site.id, environment_id: env.id });
  }
  let m = /^\/api\/sites\/([^/]+)(\/reset|\/environments)?$/.exec(path);
  if (m) {
    const site = sites.find((s) => s.id === m![1]);
    if (!site) return fail(res, 404, 'not_found', 'No such site');
    if (!m[2] && method === 'GET') return json(res, 200, withEnvs(site));
    if (!m[2] && method === 'DELETE') { site.status = 'deleting'; change({ type: 'site', id: site.id }); return json(res, 202, { job_id: enqueue({ job_type: 'site_delete', site_id: site.id, environment_id: null }, false).id }); }
    if (m[2] === '/reset') {
      if (site.status !== 'failed') return fail(res, 409, 'resource_not_failed', 'The site is not failed');
      site.status = 'creating';
      const env = envs.find((e) => e.id === site.primary_environment_id)!;
      env.status = 'creating';
      return json(res, 202, { job_id: enqueue({ job_type: 'site_create', site_id: site.id, environment_id: env.id }, false).id });
    }
    const { name, slug, type, source_environment_id } = await body(req);
    const env = newEnv(site.id, name, slug, type, source_environment_id);
    change({ type: 'environment', id: env.id, site_id: site.id });
    return json(res, 202, { job_id: enqueue({ job_type: 'env_create', site_id: site.id, environment_id: env.id }, /fail/i.test(name)).id, environment_id: env.id });
  }
  m = /^\/api\/environments\/([^/]+)(\/reset)?$/.exec(path);
  if (m) {
    const env = envs.find((e) => e.id === m![1]);
    if (!env) return fail(res, 404, 'not_found', 'No such environment');
    env.status = m[2] ? 'creating' : 'deleting';
    change({ type: 'environment', id: env.id, site_id: env.site_id });
    return json(res, 202, { job_id: enqueue({ job_type: m[2] ? 'env_create' : 'env_delete', site_id: env.site_id, environment_id: env.id }, false).id });
  }
  if (path === '/api/jobs') {
    const status = url.searchParams.get('status');
    const siteId = url.searchParams.get('site_id');
    return json(res, 200, jobs.filter((j) => (!status || j.status === status) && (!siteId || j.site_id === siteId)).slice(0, Number(url.searchParams.get('limit') ?? 100)));
  }
  m = /^\/api\/jobs\/([^/]+)(\/events|\/cancel)?$/.exec(path);
  if (m) {
    const job = jobs.find((j) => j.id === m![1]);
    if (!job) return fail(res, 404, 'not_found', 'No such job');
    if (!m[2]) return json(res, 200, job);
    if (m[2] === '/cancel') { Object.assign(job, { status: 'cancelled', error_code: 'JOB_CANCELLED', finished_at: now() }); change({ type: 'job', id: job.id, status: 'cancelled' }); return json(res, 202, { job_id: job.id }); }
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return json(res, 200, events.get(job.id));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const after = Number(req.headers['last-event-id'] ?? 0);
    for (const e of events.get(job.id)!.filter((e) => e.seq > after)) res.write(`id: ${e.seq}\nevent: job_event\ndata: ${JSON.stringify(e)}\n\n`);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return void res.end(`event: end\ndata: ${JSON.stringify({ status: job.status })}\n\n`);
    const set = jobStreams.get(job.id) ?? new Set();
    jobStreams.set(job.id, set.add(res));
    req.on('close', () => set.delete(res));
    return;
  }
  fail(res, 404, 'not_found', 'No such route');
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/api/')) {
    handleApi(req, res, url).catch((err) => fail(res, 500, 'internal', String(err)));
    return;
  }
  const file = normalize(join(dist, url.pathname)).startsWith(dist) && extname(url.pathname) ? join(dist, url.pathname) : join(dist, 'index.html');
  readFile(file).then(
    (data) => { res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }); res.end(data); },
    () => readFile(join(dist, 'index.html')).then((data) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(data); }),
  );
}).listen(port, '127.0.0.1', () => console.log(`mock API and dashboard on http://127.0.0.1:${port}`));
