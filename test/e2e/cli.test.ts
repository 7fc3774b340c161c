import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames, type NodeDto, type SiteDto } from '@pressluft/shared';
import { runCli, startDev, type DevHandle } from '../support/harness.ts';
import { getFromNode } from '../support/node-http.ts';

// The operator's loop through the real CLI against a real `pressluft dev`.

let dev: DevHandle;

beforeAll(async () => {
  dev = await startDev();
});

afterAll(async () => {
  await dev?.stop();
});

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

  it('resumes on the same state directory without a second node', async () => {
    const before = await dev.api.nodes();
    expect(await dev.stop()).toBe(0);
    dev = await startDev({ stateDir: dev.stateDir });
    const after = await dev.api.nodes();
    expect(after.map((n) => n.id)).toEqual(before.map((n) => n.id));
    expect(after[0]).toMatchObject({ status: 'active', agent_connected: true });
  });
});
