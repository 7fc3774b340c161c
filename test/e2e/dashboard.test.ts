import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CreateSiteResponse, JobDto } from '../../shared/src/api.ts';
import { startDev, type DevHandle } from '../support/harness.ts';
import { launchChromium } from '../support/browser.ts';
import { breakPhpMysql } from '../support/runtime-faults.ts';
import { ARTIFACTS_DIR, TEST_HTTP_PORT } from '../support/paths.ts';

// The dashboard in Debian's Chromium against the real `pressluft dev`: every step goes through
// the UI an operator uses, and what it shows is checked against the API and the real runtime.

const SHOTS = path.join(ARTIFACTS_DIR, 'screenshots');
const SITE_NAME = 'Dashboard Demo';
const JOB_DEADLINE_MS = 240_000;
const PREVIEW_URL = new RegExp(`^http://[0-9a-f]{8}\\.localhost:${TEST_HTTP_PORT}$`);

let dev: DevHandle;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let siteId: string;

const shot = (name: string, target: Page = page) => target.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/**
 * Samples the activity panel until its job is terminal: the step row counts seen while the job
 * was running tell a live stream (counts grow) from a timeline that arrives all at once.
 */
/** Samples a job panel until the job ends: per sample taken while it ran, its step rows' statuses. */
async function watchJob(jobSelector: string, timeoutMs = JOB_DEADLINE_MS): Promise<{ status: string; whileRunning: string[][] }> {
  const deadline = Date.now() + timeoutMs;
  const whileRunning: string[][] = [];
  for (;;) {
    const sample = await page.evaluate((selector) => {
      const panel = document.querySelector(selector);
      const rows = panel ? [...panel.querySelectorAll('[data-testid="step-row"]')].map((row) => row.getAttribute('data-status') ?? '') : [];
      return panel ? { status: panel.getAttribute('data-job-status') ?? '', rows } : null;
    }, jobSelector);
    if (sample?.status === 'running') whileRunning.push(sample.rows);
    if (sample && ['succeeded', 'failed', 'cancelled'].includes(sample.status)) return { status: sample.status, whileRunning };
    if (Date.now() > deadline) throw new Error(`timed out watching ${jobSelector}; last sample ${JSON.stringify(sample)}`);
    await page.waitForTimeout(100);
  }
}

/** Opens a target=_blank preview link and returns the loaded WordPress page. */
async function openPreview(selector: string): Promise<Page> {
  const [preview] = await Promise.all([context.waitForEvent('page'), page.locator(selector).click()]);
  await preview.waitForLoadState('load', { timeout: 60_000 });
  return preview;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Two attempts with a 1 s backoff: the failure case shows a retried job without waiting minutes.
  dev = await startDev({ env: { PRESSLUFT_JOB_MAX_ATTEMPTS: '2', PRESSLUFT_JOB_BACKOFF: '1' } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30_000);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const site of (await dev?.api.get<{ id: string }[]>('/api/sites').catch(() => [])) ?? []) {
    const res = await dev.api.request<{ job_id: string }>('DELETE', `/api/sites/${site.id}`);
    if (res.status === 202) await dev.api.waitForJob(res.body.job_id).catch(() => undefined);
  }
  await dev?.stop();
});

describe('the dashboard in a real browser', () => {
  it('sends a visitor to the login page and logs in with the keyboard alone', async () => {
    await page.goto(`${dev.url}/sites`);
    await page.waitForURL(/\/login\?next=%2Fsites$/);
    await shot('login');

    await page.getByTestId('login-email').focus();
    await page.keyboard.type(dev.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(dev.password);
    await page.keyboard.press('Enter');

    await page.waitForURL(/\/sites$/);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
    await page.getByTestId('empty').waitFor();
    await shot('sites-empty');
  });

  it('shows a site created within 100 ms of logging in turn active, with no reload', async () => {
    // A fresh browser session: the change stream must start with the login, and whatever it
    // missed before opening must be refetched, or the page stays on `creating`.
    const quick = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const tab = await quick.newPage();
      await tab.goto(`${dev.url}/sites`);
      await tab.waitForURL(/\/login/);
      await tab.getByTestId('login-email').fill(dev.email);
      await tab.getByTestId('login-password').fill(dev.password);
      const loginAnswer = tab.waitForResponse((res) => res.url().endsWith('/api/login'));
      await tab.getByTestId('login-submit').click();
      expect((await loginAnswer).status()).toBe(200);
      const loggedInAt = Date.now();
      // Created and opened in-app (no page load, which would refetch by itself).
      const created = await tab.evaluate(async () => {
        const sentAt = Date.now();
        const res = await fetch('/api/sites', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Quick Start', slug: 'quick-start' }) });
        const body = (await res.json()) as { site_id: string; job_id: string };
        history.pushState(null, '', `/sites/${body.site_id}`);
        window.dispatchEvent(new Event('pressluft:navigate'));
        return { status: res.status, sentAt, ...body };
      });
      expect(created.status).toBe(202);
      expect(created.sentAt - loggedInAt).toBeLessThan(100);

      expect((await dev.api.waitForJob(created.job_id, JOB_DEADLINE_MS)).status).toBe('succeeded');
      // Once the API says so, the page follows within seconds (it used to stay stale for minutes).
      await tab.locator('[data-testid="site-status"][data-status="active"]').waitFor({ timeout: 10_000 });
      const href = await tab.getByTestId('site-preview-link').getAttribute('href', { timeout: 10_000 });
      expect(href).toBe((await dev.api.site(created.site_id)).environments!.find((env) => env.type === 'production')!.preview_url);
      await tab.locator(`[data-testid="job-row"][data-job-id="${created.job_id}"][data-status="succeeded"]`).waitFor({ timeout: 10_000 });
    } finally {
      await quick.close();
    }
  });

  it('creates a site through the UI, streams its steps and ends on the active site whose preview serves WordPress', async () => {
    await page.getByTestId('create-site').click();
    await page.getByTestId('site-name').fill(SITE_NAME);
    expect(await page.getByTestId('site-slug').inputValue()).toBe('dashboard-demo');
    await page.getByTestId('create-site-submit').click();

    await page.waitForURL(/\/sites\/[0-9a-f-]{36}$/);
    siteId = page.url().split('/').pop()!;
    const progress = page.locator('[data-testid="site-activity"] [data-testid="job-progress"]');
    await progress.waitFor();
    const jobId = (await progress.getAttribute('data-job-id'))!;
    const apiJob = await dev.api.job(jobId);
    expect(apiJob).toMatchObject({ job_type: 'site_create', site_id: siteId });

    await page.locator('[data-testid="job-progress"] [data-testid="step-row"]').first().waitFor({ timeout: JOB_DEADLINE_MS });
    await shot('site-creating');
    const watched = await watchJob(`[data-testid="job-progress"][data-job-id="${jobId}"]`);
    expect(watched.status).toBe('succeeded');
    // Steps arrived while the job ran, not in one batch at the end: a finished step was shown
    // next to the one still running.
    expect(watched.whileRunning.some((rows) => rows.includes('started') && rows.some((r) => r !== 'started')), JSON.stringify(watched.whileRunning)).toBe(true);

    await page.locator('[data-testid="site-status"][data-status="active"]').waitFor();
    await page.locator('[data-testid="reachability"][data-ok="true"]').waitFor();
    // One row per step: a started row was replaced by its finishing row, none is left open.
    const finishedSteps = (await dev.api.jobEvents(jobId)).filter((e) => e.type === 'step' && e.data.status !== 'started');
    expect(finishedSteps.length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="step-row"]').count()).toBe(finishedSteps.length);
    expect(await page.locator('[data-testid="step-row"][data-status="started"]').count()).toBe(0);

    const href = (await page.getByTestId('site-preview-link').getAttribute('href'))!;
    expect(href).toMatch(PREVIEW_URL);
    expect(href).toBe((await dev.api.site(siteId)).environments!.find((env: { type: string }) => env.type === 'production')!.preview_url);
    await shot('site-active');

    const preview = await openPreview('[data-testid="site-preview-link"]');
    expect(preview.url()).toContain(new URL(href).host);
    expect(await preview.title()).toContain(SITE_NAME);
    expect(await preview.content()).toContain('wp-content');
    await shot('preview', preview);
    await preview.close();
  });

  it('creates a staging environment from the site page with the same live progress', async () => {
    const before = await page.locator('[data-testid="site-activity"] [data-testid="job-progress"]').getAttribute('data-job-id');
    await page.getByTestId('create-env').click();
    await page.getByTestId('env-type-staging').check();
    expect(await page.getByTestId('env-slug').inputValue()).toBe('staging');
    await page.getByTestId('create-env-submit').click();

    const progress = page.locator(`[data-testid="site-activity"] [data-testid="job-progress"]:not([data-job-id="${before}"])`);
    await progress.waitFor();
    const jobId = (await progress.getAttribute('data-job-id'))!;
    expect((await dev.api.job(jobId)).job_type).toBe('env_create');
    await page.locator(`[data-job-id="${jobId}"] [data-testid="step-row"]`).first().waitFor({ timeout: JOB_DEADLINE_MS });
    await shot('env-creating');
    const watched = await watchJob(`[data-testid="job-progress"][data-job-id="${jobId}"]`);
    expect(watched.status).toBe('succeeded');
    expect(watched.whileRunning.some((rows) => rows.length > 0), JSON.stringify(watched.whileRunning)).toBe(true);

    const stagingRow = page.locator('[data-testid="env-row"][data-env-type="staging"]');
    await stagingRow.locator('[data-testid="env-status"][data-status="active"]').waitFor();
    const stagingHref = (await stagingRow.getByTestId('env-preview-link').getAttribute('href'))!;
    expect(stagingHref).toMatch(PREVIEW_URL);
    expect(stagingHref).not.toBe(await page.getByTestId('site-preview-link').getAttribute('href'));
    await shot('site-with-staging');

    // A copy of the production site: same WordPress, its own URL.
    const preview = await openPreview('[data-testid="env-row"][data-env-type="staging"] [data-testid="env-preview-link"]');
    expect(await preview.title()).toContain(SITE_NAME);
    expect(preview.url()).toContain(new URL(stagingHref).host);
    await preview.close();
  });

  it('shows a failed job live with its error code, failed step and output tail, and recovers with Reset', async () => {
    let repair: (() => void) | null = breakPhpMysql();
    let broken: CreateSiteResponse;
    let failed: JobDto;
    try {
      const res = await dev.api.request<CreateSiteResponse>('POST', '/api/sites', { name: 'Broken Dashboard', slug: 'broken-dashboard' });
      expect(res.status).toBe(202);
      broken = res.body;
      await page.goto(`${dev.url}/jobs/${broken.job_id}`);
      await page.getByTestId('error-context').waitFor({ timeout: JOB_DEADLINE_MS });
      failed = await dev.api.job(broken.job_id);
    } finally {
      repair?.();
      repair = null;
    }

    expect(failed.status).toBe('failed');
    expect(await page.getByTestId('error-code').textContent()).toBe(failed.error_code);
    expect(failed.error_code).toMatch(/^(ANSIBLE_HOST_FAILED|RUNTIME_UNREACHABLE)$/);
    expect(await page.getByTestId('failed-step').textContent()).toBe(failed.failed_step);
    const tail = (await page.getByTestId('output-tail').textContent()) ?? '';
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.trim()).toBe(failed.output_tail!.trim());
    expect(await page.getByTestId('error-hint').textContent()).toBeTruthy();
    expect(await page.locator('[data-testid="job-status"][data-status="failed"]').count()).toBe(1);
    await page.getByTestId('timeline').waitFor();
    await shot('job-failed');

    await page.getByTestId('job-site-link').click();
    await page.waitForURL(new RegExp(`/sites/${broken.site_id}$`));
    await page.locator('[data-testid="site-status"][data-status="failed"]').waitFor();
    await page.locator('[data-testid="site-activity"] [data-testid="error-context"]').waitFor();
    await shot('site-failed');

    await page.getByTestId('reset').click();
    await page.getByTestId('reset-confirm').click();
    await page.locator('[data-testid="site-status"][data-status="active"]').waitFor({ timeout: JOB_DEADLINE_MS });
    await page.getByTestId('site-preview-link').waitFor();
    expect((await dev.api.site(broken.site_id)).status).toBe('active');
  });

  it('lists running and recent jobs and the nodes with their agent connection', async () => {
    await page.getByTestId('nav-jobs').click();
    await page.waitForURL(/\/jobs$/);
    await page.getByTestId('recent-jobs').waitFor();
    const finished = await dev.api.get<JobDto[]>('/api/jobs?limit=100');
    const terminal = finished.filter((job) => !['queued', 'running'].includes(job.status));
    expect(await page.locator('[data-testid="recent-jobs"] [data-testid="job-row"]').count()).toBe(terminal.length);
    expect(await page.locator('[data-testid="recent-jobs"] [data-testid="job-row"][data-status="failed"][data-job-type="site_create"]').count()).toBeGreaterThanOrEqual(1);
    await shot('jobs');

    await page.getByTestId('nav-nodes').click();
    await page.waitForURL(/\/nodes$/);
    const node = page.getByTestId('node-row').first();
    await node.waitFor();
    expect(await node.getByTestId('agent-connection').textContent()).toBe('connected');
    expect(await node.locator('[data-testid="status-badge"]').getAttribute('data-status')).toBe('active');
    await shot('nodes');
  });

  it('fits a narrow phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const route of ['/sites', `/sites/${siteId}`, '/jobs', '/nodes']) {
      await page.goto(`${dev.url}${route}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${route} overflows by ${overflow}px`).toBeLessThanOrEqual(1);
    }
    await page.goto(`${dev.url}/sites`);
    await page.getByTestId('site-row').first().waitFor();
    await shot('sites-narrow');
  });
});
