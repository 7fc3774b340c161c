import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYBOOKS } from '../../shared/src/jobs.ts';
import { expectSuccess } from './assertions.ts';
import { deleteEnvs, envCreateVars, leftovers, newEnv, nodeVars, siteCreateVars, type TestEnv } from './fixtures.ts';
import { ANSIBLE_DIR, describeRun, failedResult, httpGet, results, runPlaybook, type PlaybookRun } from './support.ts';

// Every run's full output, to prove no generated password ever reached it.
const outputs: string[] = [];
async function play(playbook: string, vars: Record<string, unknown>): Promise<PlaybookRun> {
  const run = await runPlaybook(playbook, vars);
  outputs.push(run.stdout, run.stderr);
  return run;
}

async function expectAnswersAs(env: TestEnv, siteName: string): Promise<void> {
  const page = await httpGet(env.host, '/');
  expect(page.status).toBe(200);
  expect(page.headers['x-pressluft-environment']).toBe(env.id);
  expect(page.body).toContain(siteName);
  expect(page.body).toMatch(/wp-content|wp-includes/);
  const rest = await httpGet(env.host, '/?rest_route=/');
  expect(rest.status).toBe(200);
  expect(JSON.parse(rest.body)).toMatchObject({ name: siteName, home: env.url, url: env.url });
}

// Playbooks wait for the machine-wide lock, which the e2e suite may hold for a long time.
const LOCK_WAIT_MS = 30 * 60_000;

describe('runtime playbooks on this node', { timeout: LOCK_WAIT_MS }, () => {
  const siteA = newEnv();
  const siteB = newEnv();
  const clone = newEnv();
  const created: TestEnv[] = [siteA, siteB, clone];
  let provision: PlaybookRun;

  beforeAll(async () => {
    provision = await play('node-provision.yml', nodeVars());
  }, LOCK_WAIT_MS);

  afterAll(async () => {
    const run = await deleteEnvs(created);
    if (run) outputs.push(run.stdout, run.stderr);
  }, LOCK_WAIT_MS);

  it('every playbook passes --syntax-check', async () => {
    const files = (await readdir(`${ANSIBLE_DIR}/playbooks`)).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(Object.values(PLAYBOOKS).sort());
    for (const file of files) {
      const run = await runPlaybook(file, {}, { args: ['--syntax-check'] });
      expect(run.exitCode, `${file}: ${run.stderr}`).toBe(0);
    }
  });

  it('node-provision leaves a node with its services up and unknown hosts refused', async () => {
    expectSuccess(provision);
    expect(existsSync('/var/lib/pressluft/wordpress-core/wp-load.php')).toBe(true);
    expect(existsSync('/usr/local/lib/pressluft/wp-helper.php')).toBe(true);
    // The catch-all server closes the connection (444) instead of serving some site.
    await expect(httpGet('unknown.localhost', '/')).rejects.toThrow();
  });

  it('creates two sites that each answer with their own WordPress and environment header', async () => {
    for (const [env, name] of [[siteA, 'Alpha Site'], [siteB, 'Beta Site']] as const) {
      const run = await play('site-create.yml', siteCreateVars(env, name));
      expectSuccess(run);
      expect(results(run).map((r) => r.name)).toContain('Check that the site answers');
    }
    await expectAnswersAs(siteA, 'Alpha Site');
    await expectAnswersAs(siteB, 'Beta Site');
  });

  it('a re-run of site-create changes nothing', async () => {
    const run = await play('site-create.yml', siteCreateVars(siteA, 'Alpha Site'));
    expectSuccess(run);
    expect(results(run).filter((r) => r.status === 'changed'), describeRun(run)).toEqual([]);
    expect(run.events.at(-1)?.stats?.changed).toBe(0);
    await expectAnswersAs(siteA, 'Alpha Site');
  });

  it('a re-run with another database password applies it instead of skipping the WordPress task', async () => {
    const rotated = { ...siteA, dbPassword: `Db-${crypto.randomUUID().replaceAll('-', '')}` };
    created.push(rotated);
    // A request right before the re-run leaves the old wp-config.php fresh in opcache, which would
    // keep serving the old password for opcache.revalidate_freq seconds unless the run resets it.
    await expectAnswersAs(siteA, 'Alpha Site');
    const run = await play('site-create.yml', siteCreateVars(rotated, 'Alpha Site'));
    expectSuccess(run);
    expect(results(run).find((r) => r.name === 'Install WordPress')?.status, describeRun(run)).toBe('changed');
    await expectAnswersAs(siteA, 'Alpha Site');
    const again = await play('site-create.yml', siteCreateVars(rotated, 'Alpha Site'));
    expect(results(again).find((r) => r.name === 'Install WordPress')?.status).toBe('skipped');
  });

  it('a clone answers at its own URL with its home rewritten while the source still answers', async () => {
    const run = await play('env-create.yml', envCreateVars(clone, siteA));
    expectSuccess(run);
    await expectAnswersAs(clone, 'Alpha Site');
    await expectAnswersAs(siteA, 'Alpha Site');
    const again = await play('env-create.yml', envCreateVars(clone, siteA));
    expectSuccess(again);
    expect(again.events.at(-1)?.stats?.changed, describeRun(again)).toBe(0);
  });

  it('a missing variable fails at "Check the job\'s variables" before anything changes', async () => {
    const env = newEnv();
    created.push(env);
    const vars: Record<string, unknown> = siteCreateVars(env, 'Never');
    delete vars.pressluft_site_name;
    const run = await play('site-create.yml', vars);
    expect(run.exitCode).not.toBe(0);
    const failed = failedResult(run);
    expect(failed?.name).toBe("Check the job's variables");
    expect(failed?.message).toContain('pressluft_site_name');
    expect(results(run)).toHaveLength(1);
    expect(Object.values(await leftovers(env.id)).some(Boolean)).toBe(false);
  });

  it('env-delete leaves nothing behind, and deleting twice is fine', async () => {
    for (let i = 0; i < 2; i++) {
      const run = await play('env-delete.yml', { pressluft_env_id: siteB.id });
      expectSuccess(run);
      if (i === 1) expect(run.events.at(-1)?.stats?.changed).toBe(0);
    }
    expect(await leftovers(siteB.id)).toEqual({
      user: false, database: false, databaseUser: false, grant: false, pool: false, socket: false, vhost: false, files: false,
    });
    await expect(httpGet(siteB.host, '/')).rejects.toThrow();
    await expectAnswersAs(siteA, 'Alpha Site');
  });

  it('site-delete removes every environment of a site', async () => {
    const run = await play('site-delete.yml', { pressluft_env_ids: [siteA.id, clone.id] });
    expectSuccess(run);
    for (const env of [siteA, clone]) expect(Object.values(await leftovers(env.id)).some(Boolean)).toBe(false);
  });

  it('no generated password appears anywhere in the output', () => {
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const env of created) {
      expect(all).not.toContain(env.dbPassword);
      expect(all).not.toContain(env.adminPassword);
    }
    expect(all).toContain('(output hidden: no_log)');
  });
});
