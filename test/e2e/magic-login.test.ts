import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runtimeNames, type EnvironmentDto, type MagicLoginResponse } from '../../shared/src/index.ts';
import { startDev, type DevHandle } from '../support/harness.ts';
import { launchChromium } from '../support/browser.ts';
import { getFromNode } from '../support/node-http.ts';
import { REPO_ROOT, TEST_HTTP_PORT } from '../support/paths.ts';

// One-click WordPress admin against the real `pressluft dev`: the dashboard's "WP Admin" in
// Debian's Chromium, the token made in the environment's own PHP-FPM pool by the agent, and
// redeemed through nginx. Every attack (reuse, a race, an expired or foreign token) is made
// and must fail.

const SITE_NAME = 'Magic Demo';
const JOB_DEADLINE_MS = 240_000;
const PREVIEW_URL = new RegExp(`^http://[0-9a-f]{8}\\.localhost:${TEST_HTTP_PORT}$`);
const REFUSED = 'This login link is not valid.';

let dev: DevHandle;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let siteId: string;
let prod: EnvironmentDto;
let staging: EnvironmentDto;
/** Every token this test saw, for the log check at the end. */
const tokens = new Set<string>();

const tokenOf = (loginUrl: string) => new URL(loginUrl).searchParams.get('pressluft_login') ?? '';

async function magicLogin(envId: string): Promise<{ status: number; body: MagicLoginResponse & { code?: string; message?: string } }> {
  const res = await dev.api.request<MagicLoginResponse & { code?: string; message?: string }>('POST', `/api/environments/${envId}/magic-login`);
  if (res.status === 200) tokens.add(tokenOf(res.body.login_url));
  return res;
}

/** GET the login URL through nginx the way a browser would (Host = the preview host). */
function redeem(loginUrl: string) {
  const url = new URL(loginUrl);
  return getFromNode(url.origin, `${url.pathname}${url.search}`);
}

const loggedInCookie = (headers: Record<string, unknown>) => ([] as string[]).concat((headers['set-cookie'] as string[] | undefined) ?? []).some((c) => c.startsWith('wordpress_logged_in_'));

/** Opens `url` in a fresh browser context; returns the page after it settled. */
async function openFresh(url: string): Promise<{ page: Page; status: number | null; close: () => Promise<void> }> {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  const response = await p.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return { page: p, status: response?.status() ?? null, close: () => ctx.close() };
}

/** Whether this page shows the WordPress dashboard with the admin bar, logged in as `admin`. */
async function isWpAdmin(p: Page): Promise<boolean> {
  if (new URL(p.url()).pathname !== '/wp-admin/') return false;
  const bar = await p.locator('#wpadminbar').count();
  const account = (await p.locator('#wp-admin-bar-my-account').textContent().catch(() => '')) ?? '';
  return bar === 1 && /admin/.test(account) && (await p.locator('#wpbody').count()) === 1;
}

function sql(database: string, statement: string): string {
  return execFileSync('mariadb', ['-N', '-B', database], { input: statement, encoding: 'utf8' });
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
}

/** Clicks a WP Admin button and returns the new tab once it loaded. */
async function clickWpAdmin(testId: string): Promise<{ tab: Page; loginUrl: string }> {
  let loginUrl = '';
  const seen = (r: { url(): string }) => { if (r.url().includes('pressluft_login=')) loginUrl = r.url(); };
  context.on('request', seen);
  const [tab] = await Promise.all([context.waitForEvent('page'), page.getByTestId(testId).click()]);
  await tab.waitForURL(/\/wp-admin\/$/, { timeout: 60_000 });
  await tab.waitForLoadState('load');
  context.off('request', seen);
  tokens.add(tokenOf(loginUrl));
  return { tab, loginUrl };
}

beforeAll(async () => {
  dev = await startDev();
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

describe('one-click WordPress admin', () => {
  it('logs in to the dashboard, creates a site, and "WP Admin" opens its wp-admin logged in as the admin', async () => {
    await page.goto(`${dev.url}/login`);
    await page.getByTestId('login-email').focus();
    await page.keyboard.type(dev.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(dev.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/sites$/);
    await page.getByTestId('create-site').click();
    await page.getByTestId('site-name').fill(SITE_NAME);
    await page.getByTestId('create-site-submit').click();
    await page.waitForURL(/\/sites\/[0-9a-f-]{36}/);
    siteId = new URL(page.url()).pathname.split('/')[2];
    const created = (await dev.api.site(siteId)).environments!.find((e) => e.type === 'production')!;

    // Not active yet: no token, a stable code.
    const early = await magicLogin(created.id);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('environment_not_active');

    await page.getByTestId('site-wp-admin').waitFor({ timeout: JOB_DEADLINE_MS });
    prod = await dev.api.environment(created.id);
    expect(prod.preview_url).toMatch(PREVIEW_URL);

    const { tab, loginUrl } = await clickWpAdmin('site-wp-admin');
    expect(new URL(tab.url()).origin).toBe(prod.preview_url);
    expect(await isWpAdmin(tab)).toBe(true);
    expect(loginUrl.startsWith(`${prod.preview_url}/?pressluft_login=`)).toBe(true);

    // The same URL in a fresh browser: refused, no login cookie, wp-admin still asks for a password.
    const again = await openFresh(loginUrl);
    expect(again.status).toBe(403);
    expect(await again.page.textContent('body')).toContain(REFUSED);
    expect((await again.page.context().cookies()).some((c) => c.name.startsWith('wordpress_logged_in_'))).toBe(false);
    await again.page.goto(`${prod.preview_url}/wp-admin/`);
    expect(new URL(again.page.url()).pathname).toBe('/wp-login.php');
    await again.close();
    await tab.close();
  });

  it('does the same for a staging clone, whose tokens do nothing on production', async () => {
    const res = await dev.api.request<{ job_id: string; environment_id: string }>('POST', `/api/sites/${siteId}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: prod.id });
    expect(res.status).toBe(202);
    const early = await magicLogin(res.body.environment_id);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('environment_not_active');
    expect((await dev.api.waitForJob(res.body.job_id, JOB_DEADLINE_MS)).status).toBe('succeeded');
    staging = await dev.api.environment(res.body.environment_id);

    await page.getByTestId('wp-admin-staging').waitFor({ timeout: 30_000 });
    const { tab, loginUrl } = await clickWpAdmin('wp-admin-staging');
    expect(new URL(tab.url()).origin).toBe(staging.preview_url);
    expect(await isWpAdmin(tab)).toBe(true);
    const again = await openFresh(loginUrl);
    expect(again.status).toBe(403);
    await again.close();
    await tab.close();

    // A fresh staging token carried to production is refused there, and still works on staging.
    const forStaging = await magicLogin(staging.id);
    expect(forStaging.status).toBe(200);
    const onProd = await redeem(forStaging.body.login_url.replace(staging.preview_url, prod.preview_url));
    expect(onProd.status).toBe(403);
    expect(loggedInCookie(onProd.headers)).toBe(false);
    const onStaging = await redeem(forStaging.body.login_url);
    expect(onStaging.status).toBe(302);
    expect(loggedInCookie(onStaging.headers)).toBe(true);
  });

  it('lets exactly one of concurrent redemptions in: two browsers, then eight raw requests', async () => {
    const first = await magicLogin(prod.id);
    expect(first.status).toBe(200);
    const pair = await Promise.all([openFresh(first.body.login_url), openFresh(first.body.login_url)]);
    const admitted = await Promise.all(pair.map((p) => isWpAdmin(p.page)));
    expect(admitted.filter(Boolean)).toHaveLength(1);
    expect(pair.map((p) => p.status).sort()).toEqual([200, 403]);
    await Promise.all(pair.map((p) => p.close()));

    const second = await magicLogin(prod.id);
    const answers = await Promise.all(Array.from({ length: 8 }, () => redeem(second.body.login_url)));
    expect(answers.filter((a) => a.status === 302 && loggedInCookie(a.headers))).toHaveLength(1);
    expect(answers.filter((a) => a.status === 403 && !loggedInCookie(a.headers))).toHaveLength(7);
  });

  it('refuses an expired token (a planted row past its expiry) while the same row unexpired logs in', async () => {
    const db = runtimeNames(prod.id).database;
    const plant = (expiresIn: number) => {
      const token = crypto.randomBytes(32).toString('base64url');
      const hash = crypto.createHash('sha256').update(token).digest('hex');
      sql(db, `INSERT INTO wp_pressluft_magic_login (token_hash, env_id, user_id, expires_at) VALUES ('${hash}', '${prod.id}', 1, UNIX_TIMESTAMP() + ${expiresIn});`);
      return `${prod.preview_url}/?pressluft_login=${token}`;
    };
    const expired = await redeem(plant(-1));
    expect(expired.status).toBe(403);
    expect(loggedInCookie(expired.headers)).toBe(false);
    const fresh = await redeem(plant(60));
    expect(fresh.status).toBe(302);
    expect(loggedInCookie(fresh.headers)).toBe(true);
    // Only hashes are stored: no row holds a token this test was given.
    const stored = sql(db, 'SELECT token_hash FROM wp_pressluft_magic_login;');
    for (const token of tokens) expect(stored).not.toContain(token);
  });

  it('answers unknown and malformed tokens with the same plain 403 page and no cookie', async () => {
    const pages = await Promise.all([
      redeem(`${prod.preview_url}/?pressluft_login=${crypto.randomBytes(32).toString('base64url')}`),
      redeem(`${prod.preview_url}/?pressluft_login=short`),
      redeem(`${prod.preview_url}/?pressluft_login[]=array`),
      redeem(`${prod.preview_url}/wp-admin/?pressluft_login=${'%27'.repeat(43)}`),
    ]);
    for (const answer of pages) {
      expect(answer.status).toBe(403);
      expect(loggedInCookie(answer.headers)).toBe(false);
      expect(answer.body).toBe(pages[0].body);
    }
    expect(pages[0].body).toContain(REFUSED);
  });

  it('prints the login URL from the CLI, with --json and --env', async () => {
    const human = await dev.cli(['site', 'login', 'magic-demo']);
    expect(human.code).toBe(0);
    const url = human.stdout.trim();
    tokens.add(tokenOf(url));
    expect(url.startsWith(`${prod.preview_url}/?pressluft_login=`)).toBe(true);
    expect((await redeem(url)).status).toBe(302);

    const json = await dev.cli(['site', 'login', 'magic-demo', '--env', 'staging', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as MagicLoginResponse;
    tokens.add(tokenOf(body.login_url));
    expect(body.login_url.startsWith(`${staging.preview_url}/?pressluft_login=`)).toBe(true);
    const ttl = Date.parse(body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
  });

  it('answers 504 node_timeout when the environment\'s pool stalls, and 502 node_error with the node\'s reason', async () => {
    const socket = `/run/php/${runtimeNames(prod.id).pool}.sock`;
    const aside = `${socket}.aside`;
    const held: net.Socket[] = [];
    // A stand-in that accepts and never answers takes the pool's place; the real one waits aside.
    renameSync(socket, aside);
    const stall = net.createServer((s) => held.push(s));
    try {
      await new Promise<void>((resolve) => stall.listen(socket, resolve));
      const started = Date.now();
      const slow = await magicLogin(prod.id);
      expect(slow.status).toBe(504);
      expect(slow.body).toEqual({ code: 'node_timeout', message: 'no answer from the PHP-FPM pool within 9500 ms' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => stall.close(resolve));
      if (existsSync(socket)) unlinkSync(socket);
      renameSync(aside, socket);
    }

    const plugin = path.join(runtimeNames(prod.id).root, 'current/wp-content/mu-plugins/pressluft-magic-login.php');
    const st = statSync(plugin);
    expect(st.uid).toBe(0);
    renameSync(plugin, `${plugin}.aside`);
    try {
      const failed = await magicLogin(prod.id);
      expect(failed.status).toBe(502);
      expect(failed.body).toEqual({ code: 'node_error', message: 'WordPress answered without a token: the pressluft-magic-login must-use plugin is missing in this environment' });
    } finally {
      renameSync(`${plugin}.aside`, plugin);
    }
    expect((await magicLogin(prod.id)).status).toBe(200);
  });

  it('audits every call as magic_login with its outcome, and no token reaches a log, an event or the state dir', async () => {
    const requireCp = createRequire(path.join(REPO_ROOT, 'control-plane/package.json'));
    type Sqlite = { prepare(sql: string): { all(): unknown[] }; close(): void };
    const SQLite = requireCp('better-sqlite3') as new (file: string, opts: { readonly: boolean; fileMustExist: boolean }) => Sqlite;
    const dbFile = filesUnder(dev.stateDir).find((f) => path.basename(f) === 'pressluft.db')!;
    const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT actor, target, status_code FROM audit_logs WHERE action = 'magic_login' ORDER BY id").all() as Array<{ actor: string; target: string; status_code: number }>;
    db.close();
    const statuses = rows.map((r) => r.status_code);
    expect(statuses.filter((s) => s === 409)).toHaveLength(2);
    expect(statuses).toContain(504);
    expect(statuses).toContain(502);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(8);
    expect(rows.every((r) => r.actor === dev.email && (r.target === prod.id || r.target === staging.id))).toBe(true);

    expect(tokens.size).toBeGreaterThanOrEqual(8);
    const haystacks = [dev.output(), ...filesUnder(dev.stateDir).map((f) => readFileSync(f, 'latin1'))];
    for (const env of [prod, staging]) {
      const logs = path.join(runtimeNames(env.id).root, 'logs');
      if (existsSync(logs)) haystacks.push(...filesUnder(logs).map((f) => readFileSync(f, 'latin1')));
    }
    const events = await Promise.all((await dev.api.get<Array<{ id: string }>>('/api/jobs')).map((j) => dev.api.jobEvents(j.id)));
    haystacks.push(JSON.stringify(events));
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const text of haystacks) expect(text.includes(token)).toBe(false);
    }
  });
});
