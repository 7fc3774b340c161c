import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames, type CreateSiteResponse, type JobEventDto } from '@pressluft/shared';
import { startDev, type DevHandle } from '../support/harness.ts';
import { getFromNode, wordpressHome } from '../support/node-http.ts';
import { launchChromium } from '../support/browser.ts';
import { breakPhpMysql } from '../support/runtime-faults.ts';
import { TEST_HTTP_PORT } from '../support/paths.ts';

// The end-to-end create-site contract against the real `pressluft dev`: real control plane,
// agent, ansible-playbook, nginx, PHP-FPM, MariaDB and Chromium on this machine.

let dev: DevHandle;
const responses: string[] = [];

async function createSite(name: string, slug: string): Promise<CreateSiteResponse> {
  const res = await dev.api.request<CreateSiteResponse>('POST', '/api/sites', { name, slug });
  responses.push(JSON.stringify(res.body));
  expect(res.status).toBe(202);
  return res.body;
}

function curl(url: string): { status: number; headers: string; body: string } {
  // curl resolves *.localhost to loopback by itself, like a browser does.
  const out = execFileSync('curl', ['-sS', '-D', '-', '--max-time', '20', url], { encoding: 'utf8' });
  const split = out.indexOf('\r\n\r\n');
  const headers = out.slice(0, split);
  return { status: Number(headers.split(' ')[1]), headers, body: out.slice(split + 4) };
}

beforeAll(async () => {
  // Two attempts with a 1 s backoff: the failure scenario exercises a retry without waiting minutes.
  dev = await startDev({ env: { PRESSLUFT_JOB_MAX_ATTEMPTS: '2', PRESSLUFT_JOB_BACKOFF: '1' } });
});

afterAll(async () => {
  for (const site of (await dev?.api.get<{ id: string; status: string }[]>('/api/sites').catch(() => [])) ?? []) {
    const res = await dev.api.request<{ job_id: string }>('DELETE', `/api/sites/${site.id}`);
    if (res.status === 202) await dev.api.waitForJob(res.body.job_id).catch(() => undefined);
  }
  await dev?.stop();
});

describe('pressluft dev, end to end', () => {
  let site: CreateSiteResponse;
  let previewUrl: string;

  it('comes up with the self-node provisioned and its agent connected', async () => {
    const nodes = await dev.api.nodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ is_local: true, status: 'active', agent_connected: true, http_port: TEST_HTTP_PORT });
  });

  it('creates a site whose job succeeds only after the reachability report, serving this environment', async () => {
    site = await createSite('Acme Widgets', 'acme');
    const job = await dev.api.waitForJob(site.job_id);
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded', error_code: null });

    const events = await dev.api.jobEvents(site.job_id);
    const reachability = events.find((e) => e.type === 'reachability');
    expect(reachability?.data).toMatchObject({ ok: true, environment_id: site.environment_id, http_status: 200 });
    // The job turned succeeded after the report, never before it.
    const succeededAt = events.findIndex((e) => e.type === 'state' && e.data.status === 'succeeded');
    expect(succeededAt).toBeGreaterThan(events.indexOf(reachability!));

    const env = await dev.api.environment(site.environment_id);
    expect(env.status).toBe('active');
    expect((await dev.api.site(site.site_id)).status).toBe('active');
    previewUrl = env.preview_url;
    expect(previewUrl).toBe(`http://${site.environment_id.slice(0, 8)}.localhost:${TEST_HTTP_PORT}`);

    const answer = curl(previewUrl + '/');
    expect(answer.status).toBe(200);
    expect(answer.headers.toLowerCase()).toContain(`x-pressluft-environment: ${site.environment_id}`);
    expect(answer.body).toContain('<title>Acme Widgets');
    expect(await wordpressHome(previewUrl)).toBe(previewUrl);
  });

  it('shows the site name as the page title in headless Chromium', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const response = await page.goto(previewUrl + '/', { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      expect(await page.title()).toMatch(/^Acme Widgets/);
    } finally {
      await browser.close();
    }
  });

  it('records each step with its status and duration, and the reachability report', async () => {
    const events = await dev.api.jobEvents(site.job_id);
    const finished = events.filter((e) => e.type === 'step' && e.data.status !== 'started');
    expect(finished.map((e) => e.data.name)).toEqual(["Check the job's variables", 'Create the environment and install WordPress']);
    for (const step of finished) {
      expect(step.data.name).toEqual(expect.any(String));
      expect(['ok', 'changed', 'skipped']).toContain(step.data.status);
      expect(step.data.duration_ms).toEqual(expect.any(Number));
    }
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'reachability')).toHaveLength(1);
  });

  it('clones the site into staging, which serves at its own URL while the source keeps serving', async () => {
    const res = await dev.api.request<{ job_id: string; environment_id: string }>('POST', `/api/sites/${site.site_id}/environments`, {
      name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: site.environment_id,
    });
    responses.push(JSON.stringify(res.body));
    expect(res.status).toBe(202);
    const job = await dev.api.waitForJob(res.body.job_id);
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded' });

    const staging = await dev.api.environment(res.body.environment_id);
    expect(staging).toMatchObject({ status: 'active', type: 'staging', source_environment_id: site.environment_id });
    expect(staging.preview_url).not.toBe(previewUrl);

    const clone = await getFromNode(staging.preview_url);
    expect(clone.status).toBe(200);
    expect(clone.headers['x-pressluft-environment']).toBe(staging.id);
    expect(clone.body).toContain('<title>Acme Widgets');
    expect(await wordpressHome(staging.preview_url)).toBe(staging.preview_url);

    const source = await getFromNode(previewUrl);
    expect(source.status).toBe(200);
    expect(source.headers['x-pressluft-environment']).toBe(site.environment_id);
    expect(await wordpressHome(previewUrl)).toBe(previewUrl);
  });

  it('ends a create on a broken runtime failed with a stable code, the failed step and the tail, then recovers after repair and reset', async () => {
    let repair: (() => void) | null = breakPhpMysql();
    let broken: CreateSiteResponse;
    try {
      broken = await createSite('Broken Shop', 'broken');
      const job = await dev.api.waitForJob(broken.job_id);
      expect(job.status).toBe('failed');
      expect(job.attempt).toBe(2);
      expect(job.error_code).toMatch(/^(ANSIBLE_HOST_FAILED|RUNTIME_UNREACHABLE)$/);
      expect(job.error_message).toBeTruthy();
      expect(job.failed_step).toBeTruthy();
      expect(job.output_tail).toBeTruthy();
      expect((await dev.api.site(broken.site_id)).status).toBe('failed');
      expect((await dev.api.environment(broken.environment_id)).status).toBe('failed');
    } finally {
      repair?.();
      repair = null;
    }

    const reset = await dev.api.request<{ job_id: string }>('POST', `/api/sites/${broken.site_id}/reset`);
    expect(reset.status).toBe(202);
    expect((await dev.api.waitForJob(reset.body.job_id)).status).toBe('succeeded');
    expect((await dev.api.site(broken.site_id)).status).toBe('active');
    const env = await dev.api.environment(broken.environment_id);
    expect((await getFromNode(env.preview_url)).headers['x-pressluft-environment']).toBe(env.id);

    const fresh = await createSite('Fresh Start', 'fresh');
    expect((await dev.api.waitForJob(fresh.job_id)).status).toBe('succeeded');
  });

  it('never shows a generated password in job events, API answers or logs', async () => {
    const config = readFileSync(`${runtimeNames(site.environment_id).root}/shared/wp-config.php`, 'utf8');
    const dbPassword = /define\(\s*'DB_PASSWORD',\s*'([^']+)'/.exec(config)?.[1];
    expect(dbPassword && dbPassword.length).toBeGreaterThanOrEqual(16);

    const everything: string[] = [...responses, dev.output(), readFileSync(`${dev.stateDir}/dev.log`, 'utf8')];
    for (const job of await dev.api.get<{ id: string }[]>('/api/jobs?limit=500')) {
      everything.push(JSON.stringify(await dev.api.job(job.id)));
      everything.push(JSON.stringify(await dev.api.jobEvents(job.id) as JobEventDto[]));
    }
    everything.push(JSON.stringify(await dev.api.get('/api/sites')));
    const haystack = everything.join('\n');
    expect(haystack.length).toBeGreaterThan(1000);
    expect(haystack).not.toContain(dbPassword);
  });
});
