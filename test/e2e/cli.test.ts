import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames, type NodeDto, type SiteDto } from '@pressluft/shared';
import { runCli, startDev, type DevHandle } from '../support/harness.ts';
import { getFromNode } from '../support/node-http.ts';
import { CLI_BIN, REPO_ROOT } from '../support/paths.ts';
import { waitFor } from '../support/wait.ts';

// The operator's loop through the real CLI against a real `pressluft dev`.

let dev: DevHandle;

beforeAll(async () => {
  dev = await startDev();
});

afterAll(async () => {
  await dev?.stop();
});

/** The CLI in a shell of its own: only `env` (plus PATH), and `input` piped to its stdin. */
function shellCli(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.end(input);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function linuxUserExists(user: string): boolean {
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the pressluft CLI', () => {
  it('creates a site, streaming its steps, and ends with the preview URL', async () => {
    const result = await dev.cli(['site', 'create', '--name', 'CLI Shop', '--slug', 'cli-shop']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const url = /(http:\/\/[0-9a-f]{8}\.localhost:\d+)/.exec(result.stdout)?.[1];
    expect(url).toBeDefined();
    // Steps are printed as they finish, before the final URL.
    expect(result.stdout.indexOf('Create the environment and install WordPress')).toBeGreaterThanOrEqual(0);
    expect(result.stdout.indexOf('Create the environment and install WordPress')).toBeLessThan(result.stdout.lastIndexOf(url!));
    const answer = await getFromNode(url!);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<title>CLI Shop');
  });

  it('lists sites and nodes as JSON for scripts', async () => {
    const sites = await dev.cli(['site', 'list', '--json']);
    expect(sites.code).toBe(0);
    const parsed = JSON.parse(sites.stdout) as SiteDto[];
    expect(parsed.map((s) => s.slug)).toContain('cli-shop');
    const nodes = await dev.cli(['node', 'list', '--json']);
    expect((JSON.parse(nodes.stdout) as NodeDto[])[0]).toMatchObject({ is_local: true, status: 'active' });
  });

  it('clones production into staging by site slug', async () => {
    const result = await dev.cli(['env', 'create', '--site', 'cli-shop', '--type', 'staging']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const list = await dev.cli(['env', 'list', '--site', 'cli-shop', '--json']);
    const envs = JSON.parse(list.stdout) as { type: string; status: string; preview_url: string; id: string }[];
    const staging = envs.find((e) => e.type === 'staging');
    expect(staging?.status).toBe('active');
    expect((await getFromNode(staging!.preview_url)).headers['x-pressluft-environment']).toBe(staging!.id);
  });

  it('refuses bad input with the error code and a non-zero exit, writing nothing', async () => {
    const result = await dev.cli(['site', 'create', '--name', 'Bad', '--slug', 'Not A Slug']);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain('bad_request');
    const usage = await runCli(['site', 'frobnicate']);
    expect(usage.code).toBe(2);
    const sites = JSON.parse((await dev.cli(['site', 'list', '--json'])).stdout) as SiteDto[];
    expect(sites).toHaveLength(1);
  });

  it('deletes the site and leaves nothing behind on the node', async () => {
    const site = (JSON.parse((await dev.cli(['site', 'list', '--json'])).stdout) as SiteDto[])[0];
    const envIds = (site.environments ?? (await dev.api.site(site.id)).environments ?? []).map((e) => e.id);
    expect(envIds.length).toBe(2);
    const result = await dev.cli(['site', 'delete', 'cli-shop', '--yes']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    for (const id of envIds) {
      const names = runtimeNames(id);
      expect(existsSync(names.root)).toBe(false);
      expect(linuxUserExists(names.user)).toBe(false);
    }
    expect(JSON.parse((await dev.cli(['site', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('logs in from a second shell with the password on stdin, and logout revokes the token server-side', async () => {
    // Another shell: its own HOME and config, no admin credentials and no dev state directory.
    const home = mkdtempSync(path.join(os.tmpdir(), 'pressluft-shell-'));
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg'), PRESSLUFT_URL: dev.url, PRESSLUFT_STATE_DIR: path.join(home, 'no-state'), PRESSLUFT_ADMIN_EMAIL: '', PRESSLUFT_ADMIN_PASSWORD: '' };
    const before = await shellCli(['site', 'list'], env);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('run `pressluft login');

    const login = await shellCli(['login', '--email', dev.email], env, `${dev.password}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout + login.stderr).not.toContain(dev.password);
    const file = path.join(home, 'xdg', 'pressluft', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const { token } = (JSON.parse(readFileSync(file, 'utf8')) as { control_planes: Record<string, { token: string }> }).control_planes[dev.url];
    const bearer = (t: string) => fetch(`${dev.url}/api/sites`, { headers: { authorization: `Bearer ${t}` } });
    expect((await bearer(token)).status).toBe(200);

    const list = await shellCli(['site', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(await dev.api.get('/api/sites'));

    const logout = await shellCli(['logout'], env);
    expect(logout.code, logout.stderr).toBe(0);
    // The attack: the token copied before the logout no longer opens anything.
    expect((await bearer(token)).status).toBe(401);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ control_planes: {} });
    expect((await shellCli(['site', 'list'], env)).code).toBe(1);
  });

  it('retries a job whose ansible-playbook was killed by SIGKILL, as the OOM killer does, to an active site', async () => {
    const answer = await dev.api.request<{ job_id: string; site_id: string }>('POST', '/api/sites', { name: 'Killed Once', slug: 'killed-once' });
    expect(answer.status).toBe(202);
    const { job_id: jobId, site_id: siteId } = answer.body;
    // The agent records the running playbook's pid; kill it once the job's first step started.
    const pidFile = path.join(dev.stateDir, 'agent', 'journal', `${jobId}.1.pid`);
    const pid = await waitFor(async () => {
      if (!existsSync(pidFile)) return undefined;
      const started = (await dev.api.jobEvents(jobId)).some((e) => e.attempt === 1 && e.type === 'step');
      return started ? (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid : undefined;
    }, { timeoutMs: 120_000, intervalMs: 50, what: 'the first attempt\'s playbook to run' });
    process.kill(pid, 'SIGKILL');

    const job = await dev.api.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 2 });
    const firstResult = (await dev.api.jobEvents(jobId)).find((e) => e.attempt === 1 && e.type === 'result');
    expect(firstResult?.data).toMatchObject({ ok: false, error_code: 'ANSIBLE_KILLED' });
    expect((await dev.api.site(siteId)).status).toBe('active');
    const removed = await dev.cli(['site', 'delete', 'killed-once', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
  });

  it('resumes on the same state directory without a second node', async () => {
    const before = await dev.api.nodes();
    expect(await dev.stop()).toBe(0);
    dev = await startDev({ stateDir: dev.stateDir });
    const after = await dev.api.nodes();
    expect(after.map((n) => n.id)).toEqual(before.map((n) => n.id));
    expect(after[0]).toMatchObject({ status: 'active', agent_connected: true });
  });
});
