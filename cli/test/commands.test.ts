import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, type JobEventDto } from '@pressluft/shared';
import { runCli } from '../src/cli.ts';
import { memoryOutput } from '../src/output.ts';
import { ADMIN, JOB_ID, makeJob, SITE_ID, startFakeApi, stepEvent, type FakeApiScript } from './helpers/fake-api.ts';

let api: Awaited<ReturnType<typeof startFakeApi>> | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

const reachability: JobEventDto = {
  job_id: JOB_ID, seq: 4, attempt: 1, type: 'reachability', created_at: '',
  data: { kind: 'reachability', ok: true, url: 'http://22222222.localhost:8080/', host: '22222222.localhost', http_status: 200, latency_ms: 35 },
};
const SUCCESS_EVENTS = [stepEvent(1, 'Create the site user', 'started', null), stepEvent(2, 'Create the site user', 'changed', 310), stepEvent(3, 'Write wp-config.php', 'ok', 95), reachability];

async function cli(argv: string[], script: FakeApiScript, env: NodeJS.ProcessEnv = {}) {
  api = await startFakeApi(script);
  const out = memoryOutput(false);
  const code = await runCli(argv, { env: { PRESSLUFT_URL: api.url, PRESSLUFT_ADMIN_EMAIL: ADMIN.email, PRESSLUFT_ADMIN_PASSWORD: ADMIN.password, ...env }, cwd: os.tmpdir(), out });
  return { code, out, api };
}

describe('site create', () => {
  it('streams finished steps live and ends with the preview URL, exit 0', async () => {
    const { code, out, api } = await cli(['site', 'create', '--name', 'Acme', '--slug', 'acme'], { events: SUCCESS_EVENTS, finalJob: makeJob() });
    expect(code).toBe(0);
    expect(api.requests.find((r) => r.method === 'POST' && r.url === '/api/sites')?.body).toEqual({ name: 'Acme', slug: 'acme' });
    const lines = out.stdout.split('\n');
    expect(lines).toContain('  ✓ Create the site user  changed  310 ms');
    expect(lines).toContain('  ✓ Write wp-config.php  95 ms');
    expect(lines.some((l) => l.startsWith('  ✓ Reachable: http://22222222.localhost:8080/'))).toBe(true);
    expect(lines.at(-2)).toBe('Preview: http://22222222.localhost:8080');
    // Not a TTY: no "…" lines for started steps, no ANSI escapes.
    expect(out.stdout).not.toContain('…');
    expect(out.stdout).not.toContain('\x1b[');
    // Logged out at the end.
    expect(api.requests.at(-1)?.url).toBe('/api/logout');
    expect(api.sessions.size).toBe(0);
  });

  it('ends a failed job with the error code, failed step, hint and output tail, exit 1', async () => {
    const failed = makeJob({
      status: 'failed', error_code: 'ANSIBLE_HOST_FAILED', error_message: 'php-fpm did not start',
      failed_step: 'Start the PHP-FPM pool', output_tail: 'TASK Write the pool: ok\nTASK Start the PHP-FPM pool: failed: php-fpm did not start',
    });
    const events = [stepEvent(1, 'Write the pool', 'ok'), stepEvent(2, 'Start the PHP-FPM pool', 'failed', 900, 'php-fpm did not start\nmore')];
    const { code, out } = await cli(['site', 'create', '--name', 'Acme', '--slug', 'acme'], { events, finalJob: failed });
    expect(code).toBe(1);
    expect(out.stdout).toContain('  ✗ Start the PHP-FPM pool  900 ms\n      php-fpm did not start');
    expect(out.stderr).toContain('Failed: ANSIBLE_HOST_FAILED — php-fpm did not start');
    expect(out.stderr).toContain('Failed step: Start the PHP-FPM pool');
    expect(out.stderr).toContain(`Hint: ${ERROR_CODES.ANSIBLE_HOST_FAILED.hint}`);
    expect(out.stderr).toContain('  TASK Start the PHP-FPM pool: failed: php-fpm did not start');
    expect(out.stdout).not.toContain('Preview:');
  });

  it('prints the waiting reason while the job is queued', async () => {
    const { code, out } = await cli(['site', 'create', '--name', 'Acme', '--slug', 'acme'], {
      events: SUCCESS_EVENTS, finalJob: makeJob(), waitingReason: 'the node has no connected agent',
    });
    expect(code).toBe(0);
    expect(out.stdout).toContain('Waiting: the node has no connected agent');
  });

  it('prints only JSON of the final job and site with --json', async () => {
    const { code, out } = await cli(['site', 'create', '--name', 'Acme', '--slug', 'acme', '--json'], { events: SUCCESS_EVENTS, finalJob: makeJob() });
    expect(code).toBe(0);
    const parsed = JSON.parse(out.stdout);
    expect(parsed.job).toMatchObject({ id: JOB_ID, status: 'succeeded' });
    expect(parsed.site).toMatchObject({ id: SITE_ID, slug: 'acme' });
  });

  it('returns right after enqueueing with --no-wait', async () => {
    const { code, out, api } = await cli(['site', 'create', '--name', 'Acme', '--slug', 'acme', '--no-wait', '--json'], { events: SUCCESS_EVENTS, finalJob: makeJob() });
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ job_id: JOB_ID, site_id: SITE_ID, environment_id: expect.any(String) });
    expect(api.requests.some((r) => r.url.includes('/events'))).toBe(false);
  });

  it('reports an API refusal with its code and hint, exit 1', async () => {
    const { code, out } = await cli(['site', 'create', '--name', 'Taken', '--slug', 'taken'], { events: [], finalJob: makeJob() });
    expect(code).toBe(1);
    expect(out.stderr).toContain('Error: conflict: slug "taken" is in use');
    expect(out.stderr).toContain(`Hint: ${ERROR_CODES.conflict.hint}`);
  });
});

describe('env create', () => {
  it('defaults to the production environment as source and to "Staging"/"staging"', async () => {
    const { code, out, api } = await cli(['env', 'create', '--site', 'acme', '--type', 'staging'], { events: SUCCESS_EVENTS, finalJob: makeJob({ job_type: 'env_create' }) });
    expect(code).toBe(0);
    const post = api.requests.find((r) => r.method === 'POST' && r.url === `/api/sites/${SITE_ID}/environments`);
    expect(post?.body).toEqual({ name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: '22222222-2222-4222-8222-222222222222' });
    expect(out.stdout).toContain('Preview: http://22222222.localhost:8080');
  });
});

describe('lists and credentials', () => {
  it('prints sites as a table', async () => {
    const { code, out } = await cli(['site', 'list'], { events: [], finalJob: makeJob() });
    expect(code).toBe(0);
    const [header, row] = out.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^SLUG\s+NAME\s+STATUS\s+PREVIEW\s+ID$/);
    expect(row).toMatch(/^acme\s+Acme\s+active\s+http:\/\/22222222\.localhost:8080\s+11111111-/);
    expect(header.indexOf('NAME')).toBe(row.indexOf('Acme'));
  });

  it('logs in with the dev admin file of the state directory when no flags or env are given', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-cli-'));
    writeFileSync(path.join(stateDir, 'dev-admin.json'), JSON.stringify(ADMIN));
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const out = memoryOutput();
    const code = await runCli(['node', 'list', '--state-dir', stateDir], { env: { PRESSLUFT_URL: api.url, XDG_CONFIG_HOME: stateDir }, cwd: os.tmpdir(), out });
    expect(api.requests[0]).toMatchObject({ url: '/api/login', body: ADMIN });
    // The fake has no /api/nodes route: the 404 comes after a successful login.
    expect(code).toBe(1);
    expect(out.stderr).toContain('not_found');
  });

  it('refuses secrets as arguments: --password and --email are unknown options, nothing is sent', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    for (const argv of [['site', 'list', '--password', ADMIN.password], ['site', 'list', `--password=${ADMIN.password}`], ['login', '--password', ADMIN.password], ['node', 'list', '--email', ADMIN.email]]) {
      const out = memoryOutput();
      const code = await runCli(argv, { env: { PRESSLUFT_URL: api.url }, cwd: os.tmpdir(), out });
      expect(code, argv.join(' ')).toBe(2);
      expect(out.stderr).toMatch(/Unknown option '--(password|email)'/);
      expect(out.stderr).not.toContain(ADMIN.password);
    }
    expect(api.requests).toEqual([]);
  });
});
