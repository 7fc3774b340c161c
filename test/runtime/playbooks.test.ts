import { existsSync, realpathSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYBOOKS } from '../../shared/src/jobs.ts';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { CREATE_STEP, expectSuccess } from './assertions.ts';
import { deleteEnvs, envCreateVars, leftovers, newEnv, nodeVars, siteCreateVars, type TestEnv } from './fixtures.ts';
import { ANSIBLE_DIR, describeRun, failedResult, httpGet, results, runPlaybook, sh, type PlaybookRun } from './support.ts';

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
      expect(results(run).find((r) => r.name === CREATE_STEP)?.status).toBe('changed');
    }
    await expectAnswersAs(siteA, 'Alpha Site');
    await expectAnswersAs(siteB, 'Beta Site');
  });

  it('a release shares WordPress core read-only and owns only its wp-content', async () => {
    for (const env of [siteA, siteB]) {
      const names = runtimeNames(env.id);
      const current = realpathSync(`${names.root}/current`);
      const core = statSync(`${current}/wp-includes/version.php`);
      const cached = statSync('/var/lib/pressluft/wordpress-core/wp-includes/version.php');
      expect({ ino: core.ino, uid: core.uid, writable: (core.mode & 0o022) !== 0 }).toEqual({ ino: cached.ino, uid: 0, writable: false });
      expect(statSync(`${current}/wp-includes`).uid).toBe(0);
      const uid = Number((await sh('id', ['-u', names.user])).stdout.trim());
      expect(statSync(`${current}/wp-content/themes`).uid).toBe(uid);
      // The site's own PHP user cannot change the shared core, only its wp-content.
      expect((await sh('runuser', ['-u', names.user, '--', 'touch', `${current}/wp-includes/version.php`])).code).not.toBe(0);
      expect((await sh('runuser', ['-u', names.user, '--', 'touch', `${current}/wp-content/plugins/own.txt`])).code).toBe(0);
    }
  });

  it('a re-run of site-create changes nothing', async () => {
    const run = await play('site-create.yml', siteCreateVars(siteA, 'Alpha Site'));
    expectSuccess(run);
    expect(results(run).filter((r) => r.status === 'changed'), describeRun(run)).toEqual([]);
    expect(run.events.at(-1)?.stats?.changed).toBe(0);
    await expectAnswersAs(siteA, 'Alpha Site');
  });

  it('a re-run with another database password applies it', async () => {
    const rotated = { ...siteA, dbPassword: `Db-${crypto.randomUUID().replaceAll('-', '')}` };
    created.push(rotated);
    // A request right before the re-run leaves the old wp-config.php fresh in opcache, which would
    // keep serving the old password for opcache.revalidate_freq seconds unless the run resets it.
    await expectAnswersAs(siteA, 'Alpha Site');
    const run = await play('site-create.yml', siteCreateVars(rotated, 'Alpha Site'));
    expectSuccess(run);
    expect(results(run).find((r) => r.name === CREATE_STEP)?.status, describeRun(run)).toBe('changed');
    await expectAnswersAs(siteA, 'Alpha Site');
    const again = await play('site-create.yml', siteCreateVars(rotated, 'Alpha Site'));
    expect(results(again).find((r) => r.name === CREATE_STEP)?.status).toBe('ok');
  });

  it('a clone answers at its own URL with its home rewritten while the source still answers', async () => {
    const run = await play('env-create.yml', envCreateVars(clone, siteA));
    expectSuccess(run);
    await expectAnswersAs(clone, 'Alpha Site');
    await expectAnswersAs(siteA, 'Alpha Site');
    // Core stays shared; wp-content (with the file the source's user wrote there) is a copy.
    const [source, copy] = [siteA, clone].map((env) => realpathSync(`${runtimeNames(env.id).root}/current`));
    expect(statSync(`${copy}/wp-includes/version.php`).ino).toBe(statSync(`${source}/wp-includes/version.php`).ino);
    expect(statSync(`${copy}/wp-content/plugins/own.txt`).ino).not.toBe(statSync(`${source}/wp-content/plugins/own.txt`).ino);
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
