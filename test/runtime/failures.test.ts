import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { CREATE_STEP, expectSuccess } from './assertions.ts';
import { deleteEnvs, leftovers, newEnv, nodeVars, siteCreateVars, type TestEnv } from './fixtures.ts';
import { RUNTIME_LOCK, describeRun, failedResult, httpGet, killGroup, phpVersion, results, runPlaybook, sh, sql } from './support.ts';

async function expectAnswers(env: TestEnv): Promise<void> {
  const page = await httpGet(env.host, '/');
  expect(page.status).toBe(200);
  expect(page.headers['x-pressluft-environment']).toBe(env.id);
}

// Playbooks wait for the machine-wide lock, which the e2e suite may hold for a long time.
const LOCK_WAIT_MS = 30 * 60_000;

describe('runtime playbooks when things go wrong', { timeout: LOCK_WAIT_MS }, () => {
  const created: TestEnv[] = [];
  let php = '';

  beforeAll(async () => {
    php = await phpVersion();
    expectSuccess(await runPlaybook('node-provision.yml', nodeVars()));
  }, LOCK_WAIT_MS);

  afterAll(async () => {
    await deleteEnvs(created);
  }, LOCK_WAIT_MS);

  it('a broken runtime fails with the failing task\'s name and message', async () => {
    const env = newEnv();
    created.push(env);
    const fpm = `php${php}-fpm`;
    const setup = `phpdismod -v ${php} -s fpm mysqli && service ${fpm} restart >/dev/null`;
    const teardown = `phpenmod -v ${php} -s fpm mysqli; service ${fpm} restart >/dev/null`;
    try {
      const run = await runPlaybook('site-create.yml', siteCreateVars(env, 'Broken Site'), { around: { setup, teardown } });
      expect(run.exitCode, describeRun(run)).toBe(2);
      const failed = failedResult(run);
      // The step's own output is hidden (it handles secrets); the rescue re-raises its message.
      expect(failed?.name).toBe(CREATE_STEP);
      expect(results(run).filter((r) => r.name === CREATE_STEP), 'one step, not a hidden and an explained one').toHaveLength(1);
      expect(failed?.message).toMatch(/answered 500/);
      expect(failed?.message).toMatch(/mysql/i);
      expect(run.events.at(-1)).toMatchObject({ event: 'playbook_end', ok: false });
      expect(run.stdout + run.stderr).not.toContain(env.dbPassword);
      expect(run.stdout + run.stderr).not.toContain(env.adminPassword);
    } finally {
      // The bash trap restores mysqli; make sure of it even if the run itself was killed.
      if (!existsSync(`/etc/php/${php}/fpm/conf.d/20-mysqli.ini`)) {
        await sh('flock', ['-o', RUNTIME_LOCK, 'bash', '-c', teardown]);
      }
    }
    expect(existsSync(`/etc/php/${php}/fpm/conf.d/20-mysqli.ini`)).toBe(true);
    // Once the runtime is repaired, the same job succeeds on retry.
    expectSuccess(await runPlaybook('site-create.yml', siteCreateVars(env, 'Broken Site')));
    await expectAnswers(env);
  });

  it('a site-create killed mid-run is completed correctly by the retry', async () => {
    const env = newEnv();
    created.push(env);
    let killed = false;
    const run = await runPlaybook('site-create.yml', siteCreateVars(env, 'Killed Site'), {
      onEvent: (event, child) => {
        if (event.event === 'task_start' && event.name === CREATE_STEP && !killed) {
          killed = true;
          setTimeout(() => killGroup(child.pid), 400);
        }
      },
    });
    expect(killed, describeRun(run)).toBe(true);
    expect(run.exitCode).not.toBe(0);
    const retry = await runPlaybook('site-create.yml', siteCreateVars(env, 'Killed Site'));
    expectSuccess(retry);
    await expectAnswers(env);
    const rest = await httpGet(env.host, '/?rest_route=/');
    expect(JSON.parse(rest.body)).toMatchObject({ name: 'Killed Site', home: env.url });
  });

  it('a retry waits for a WordPress helper request that an earlier, killed run left working', async () => {
    const env = newEnv();
    created.push(env);
    expectSuccess(await runPlaybook('site-create.yml', siteCreateVars(env, 'Waiting Site')));
    const names = runtimeNames(env.id);
    const lock = `${names.root}/tmp/pressluft-helper.lock`;
    // An unfinished install (no completion marker) whose helper request is still running in the
    // pool, stood in for by a process holding the helper's lock for 3 s that writes to the
    // database as its last act. Started under the runtime lock, right before the retry.
    await sql(`DELETE FROM \`${names.database}\`.wp_options WHERE option_name = 'pressluft_env_id'`);
    const setup = `flock ${lock} sh -c "sleep 3; mariadb ${names.database} -e 'CREATE TABLE orphan_probe (id INT)'" & ` +
      `until ! flock -n -s ${lock} true; do sleep 0.05; done`;
    const retry = await runPlaybook('site-create.yml', siteCreateVars(env, 'Waiting Site'), { around: { setup, teardown: 'true' } });
    expectSuccess(retry);
    expect(results(retry).find((r) => r.name === CREATE_STEP)?.status).toBe('changed');
    // The retry emptied the database only after the earlier request was done: nothing of it is left.
    expect(await sql(`SHOW TABLES FROM \`${names.database}\` LIKE 'orphan_probe'`)).toEqual([]);
    const rest = await httpGet(env.host, '/?rest_route=/');
    expect(JSON.parse(rest.body)).toMatchObject({ name: 'Waiting Site', home: env.url });
  });

  it('orphaned pools and vhosts of interrupted runs are removed so PHP-FPM and nginx keep working', async () => {
    const env = newEnv();
    created.push(env);
    const ghost = newEnv();
    const ghostNames = runtimeNames(ghost.id);
    const pool = `/etc/php/${php}/fpm/pool.d/${ghostNames.pool}.conf`;
    const vhost = `/etc/nginx/pressluft-sites/${ghost.id}.conf`;
    const plant = () => {
      // A pool whose Linux user is gone makes `php-fpm -t` fail for every pool on the node.
      writeFileSync(pool, `[${ghostNames.pool}]\nuser = ${ghostNames.user}\ngroup = ${ghostNames.user}\nlisten = /run/php/${ghostNames.pool}.sock\npm = ondemand\npm.max_children = 1\n`);
      writeFileSync(vhost, `server {\n    listen 8088;\n    server_name ${ghost.host};\n    location / { fastcgi_pass unix:/run/php/${ghostNames.pool}.sock; }\n}\n`);
    };
    try {
      plant();
      const create = await runPlaybook('site-create.yml', siteCreateVars(env, 'Survivor Site'));
      expectSuccess(create);
      expect(existsSync(pool)).toBe(false);
      expect(existsSync(vhost)).toBe(false);

      plant();
      const provision = await runPlaybook('node-provision.yml', nodeVars());
      expectSuccess(provision);
      expect(existsSync(pool)).toBe(false);
      expect(existsSync(vhost)).toBe(false);
      await expectAnswers(env);
      expect((await sh('/usr/sbin/php-fpm' + php, ['-t'])).code).toBe(0);
      expect(Object.values(await leftovers(ghost.id)).some(Boolean)).toBe(false);
    } finally {
      await sh('rm', ['-f', pool, vhost]);
    }
  });
});
