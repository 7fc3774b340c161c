import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { expectSuccess } from './assertions.ts';
import { deleteEnvs, newEnv, nodeVars, siteCreateVars } from './fixtures.ts';
import { REPO, describeRun, httpGet, results, runPlaybook, sh } from './support.ts';

const LOCK_WAIT_MS = 30 * 60_000;
const FIXTURE_DIR = path.join(REPO, 'test/runtime/fixtures/mu-plugins');
const FIXTURE = 'pressluft-test-fixture.php';

describe('the platform\'s must-use plugins', { timeout: LOCK_WAIT_MS }, () => {
  const env = newEnv();
  const names = runtimeNames(env.id);
  const emptyDir = mkdtempSync(path.join(tmpdir(), 'pressluft-mu-'));
  const create = (dir: string) => runPlaybook('site-create.yml', { ...siteCreateVars(env, 'Mu Site'), pressluft_env_mu_plugins_dir: dir });
  const asSite = (...argv: string[]) => sh('runuser', ['-u', names.user, '--', ...argv]);

  beforeAll(async () => {
    expectSuccess(await runPlaybook('node-provision.yml', nodeVars()));
    expectSuccess(await create(FIXTURE_DIR));
  }, LOCK_WAIT_MS);

  afterAll(async () => {
    rmSync(emptyDir, { recursive: true, force: true });
    await deleteEnvs([env]);
  }, LOCK_WAIT_MS);

  it('are installed root-owned and loaded by WordPress', async () => {
    const file = `${names.root}/current/wp-content/mu-plugins/${FIXTURE}`;
    const st = statSync(file);
    expect({ uid: st.uid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, mode: 0o644 });
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(path.join(FIXTURE_DIR, FIXTURE), 'utf8'));
    const page = await httpGet(env.host, '/');
    expect(page.status).toBe(200);
    expect(page.headers['x-pressluft-mu-fixture']).toBe('loaded');
  });

  it('the site user cannot change, delete or move them, but keeps its own must-use plugins', async () => {
    const content = `${names.root}/current/wp-content`;
    const mu = `${content}/mu-plugins`;
    const attempts = [
      ['sh', '-c', `echo '<?php' > ${mu}/${FIXTURE}`],
      ['rm', '-f', `${mu}/${FIXTURE}`],
      ['mv', `${mu}/${FIXTURE}`, `${mu}/moved.php`],
      ['chmod', '666', `${mu}/${FIXTURE}`],
      ['mv', mu, `${content}/mu-plugins-moved`],
      ['rm', '-rf', mu],
      ['chmod', '777', mu],
    ];
    for (const argv of attempts) expect((await asSite(...argv)).code, argv.join(' ')).not.toBe(0);
    expect(statSync(`${mu}/${FIXTURE}`).uid).toBe(0);
    expect((await httpGet(env.host, '/')).headers['x-pressluft-mu-fixture']).toBe('loaded');
    // Its own entries in wp-content and mu-plugins stay the site's to add and remove.
    for (const own of [`${mu}/own.php`, `${content}/object-cache.php`]) {
      expect((await asSite('touch', own)).code).toBe(0);
      expect((await asSite('rm', own)).code).toBe(0);
    }
  });

  it('a re-run changes nothing; a plugin no longer shipped is removed', async () => {
    const again = await create(FIXTURE_DIR);
    expectSuccess(again);
    expect(results(again).filter((r) => r.status === 'changed'), describeRun(again)).toEqual([]);
    const removed = await create(emptyDir);
    expectSuccess(removed);
    expect(removed.events.at(-1)?.stats?.changed, describeRun(removed)).toBe(1);
    expect((await sh('test', ['-e', `${names.root}/current/wp-content/mu-plugins/${FIXTURE}`])).code).toBe(1);
  });
});
