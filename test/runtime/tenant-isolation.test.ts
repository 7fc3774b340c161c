/**
 * A site's code (any plugin its admin uploads) is hostile to the node and to the other sites.
 * Each test is the attack, through the real playbooks, and checks that it failed.
 */
import { randomUUID } from 'node:crypto';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { CREATE_STEP, expectSuccess } from './assertions.ts';
import { deleteEnvs, envCreateVars, newEnv, nodeVars, siteCreateVars, type TestEnv } from './fixtures.ts';
import { describeRun, failedResult, httpGet, runPlaybook, sh } from './support.ts';

const LOCK_WAIT_MS = 30 * 60_000;

/** Runs a command as root, failing the test when it fails (test setup, never job input). */
async function root(script: string): Promise<string> {
  const out = await sh('bash', ['-c', script]);
  if (out.code !== 0) throw new Error(`${script}: ${out.stderr}`);
  return out.stdout;
}

function asSite(env: TestEnv, script: string) {
  return sh('runuser', ['-u', runtimeNames(env.id).user, '--', 'sh', '-c', script]);
}

describe('a site attacking the node and the other sites', { timeout: LOCK_WAIT_MS }, () => {
  const site = newEnv();
  const created: TestEnv[] = [site];
  const names = runtimeNames(site.id);
  const secret = `SECRET-${randomUUID()}`;
  const scratch = `/root/pressluft-test-${site.id}`;

  beforeAll(async () => {
    expectSuccess(await runPlaybook('node-provision.yml', nodeVars()));
    expectSuccess(await runPlaybook('site-create.yml', siteCreateVars(site, 'Tenant Site')));
    // Root-only material the site must never reach: a directory, and a file that reads as a
    // PHP error log entry.
    await root(`mkdir -m 700 ${scratch} ${scratch}/secretdir ${scratch}/target && echo ${secret} > ${scratch}/secretdir/secret.txt
      printf '[07-Dec-2026 12:00:00 UTC] %s\\n' ${secret} > ${scratch}/root-only.log && chmod 600 ${scratch}/root-only.log`);
  }, LOCK_WAIT_MS);

  afterAll(async () => {
    await deleteEnvs(created);
    await sh('rm', ['-rf', scratch]);
  }, LOCK_WAIT_MS);

  it('the environment\'s skeleton is root\'s: the site cannot swap its directories for links', async () => {
    for (const entry of ['', '/releases', '/shared', '/current']) expect(lstatSync(`${names.root}${entry}`).uid, entry).toBe(0);
    for (const entry of ['logs', 'shared/uploads', 'releases', 'current']) {
      expect((await asSite(site, `mv ${names.root}/${entry} ${names.root}/${entry}.moved`)).code, entry).not.toBe(0);
      expect((await asSite(site, `rm -rf ${names.root}/${entry}`)).code, entry).not.toBe(0);
    }
    // The site still writes its own files: uploads, tmp, logs.
    for (const dir of ['shared/uploads', 'tmp', 'logs']) {
      expect((await asSite(site, `touch ${names.root}/${dir}/own && rm ${names.root}/${dir}/own`)).code, dir).toBe(0);
    }
  });

  it('a clone copies neither a planted shared/uploads link nor what it points to', async () => {
    // Planted as the site could while it owned shared/ (the layout before), plus a link inside
    // uploads, which it can still make.
    await root(`mv ${names.root}/shared/uploads ${scratch}/uploads-kept && ln -s ${scratch}/secretdir ${names.root}/shared/uploads`);
    const clone = newEnv();
    created.push(clone);
    try {
      const run = await runPlaybook('env-create.yml', envCreateVars(clone, site));
      expectSuccess(run);
    } finally {
      await root(`rm -rf ${names.root}/shared/uploads && mv ${scratch}/uploads-kept ${names.root}/shared/uploads`);
    }
    const copy = runtimeNames(clone.id);
    const found = await sh('grep', ['-rl', secret, copy.root]);
    expect(found.stdout, 'the secret in the clone').toBe('');
    expect(found.code).toBe(1); // 1: searched everything, no match
    expect(lstatSync(`${copy.root}/shared/uploads`).isDirectory()).toBe(true);
    const served = await httpGet(clone.host, '/wp-content/uploads/secret.txt');
    // WordPress answers a missing file (404, or a redirect to a guessed page), never the file.
    expect(served.status).not.toBe(200);
    expect(served.body).not.toContain(secret);
    // A link inside the site's own uploads, cloned, is still only a link nginx cannot read.
    expect((await asSite(site, `ln -s ${scratch}/secretdir ${names.root}/shared/uploads/evil`)).code).toBe(0);
    const clone2 = newEnv();
    created.push(clone2);
    expectSuccess(await runPlaybook('env-create.yml', envCreateVars(clone2, site)));
    expect((await sh('grep', ['-rl', secret, runtimeNames(clone2.id).root])).stdout).toBe('');
    const linked = await httpGet(clone2.host, '/wp-content/uploads/evil/secret.txt');
    expect(linked.status).not.toBe(200);
    expect(linked.body).not.toContain(secret);
  });

  it('a converge neither chowns what a planted logs link points to nor serves a planted current', async () => {
    await root(`rm -rf ${names.root}/logs && ln -s ${scratch}/target ${names.root}/logs
      mkdir -p ${scratch}/fake && echo '<?php echo "${secret}";' > ${scratch}/fake/index.php && touch ${scratch}/fake/wp-load.php
      ln -sfn ${scratch}/fake ${names.root}/current`);
    const run = await runPlaybook('site-create.yml', siteCreateVars(site, 'Tenant Site'));
    expectSuccess(run);
    const target = statSync(`${scratch}/target`);
    expect({ uid: target.uid, gid: target.gid, mode: target.mode & 0o7777 }).toEqual({ uid: 0, gid: 0, mode: 0o700 });
    const logs = lstatSync(`${names.root}/logs`);
    expect(logs.isDirectory()).toBe(true);
    expect(logs.uid).not.toBe(0);
    expect(readlinkSync(`${names.root}/current`)).toMatch(/^releases\/[0-9]{14}(-[0-9]+)?$/);
    const page = await httpGet(site.host, '/');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(secret);
  });

  it('the failure\'s PHP error log tail does not read a root-only file the site linked', async () => {
    const log = `${names.root}/logs/php-error.log`;
    const fatal = `${names.root}/current/wp-content/mu-plugins/zz-fatal.php`;
    expect((await asSite(site, `rm -f ${log} && ln -s ${scratch}/root-only.log ${log}
      echo '<?php throw new Error("planted failure");' > ${fatal}`)).code).toBe(0);
    try {
      const run = await runPlaybook('site-create.yml', siteCreateVars(site, 'Tenant Site'));
      expect(run.exitCode, describeRun(run)).not.toBe(0);
      const failed = failedResult(run);
      expect(failed?.name).toBe(CREATE_STEP);
      expect(failed?.message).toMatch(/answered 500/);
      expect(run.stdout + run.stderr).not.toContain(secret);
    } finally {
      await asSite(site, `rm -f ${fatal} ${log}`);
    }
    expectSuccess(await runPlaybook('site-create.yml', siteCreateVars(site, 'Tenant Site')));
  });
});
