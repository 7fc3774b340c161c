import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSuccess } from './assertions.ts';
import { nodeVars } from './fixtures.ts';
import { runPlaybook, sh, type PlaybookRun } from './support.ts';

const REDIS_ACLFILE = '/etc/redis/users.acl';
const REDIS_ADMIN_USER = 'pressluft-admin';
const REDIS_ADMIN_PASSWORD_FILE = '/etc/pressluft/redis-admin.password';
const CORE_DIR = '/var/lib/pressluft/wordpress-core';
const CORE_MARKER = '/var/lib/pressluft/wordpress-core.json';
const CORE_BUILD_DIR = '/var/lib/pressluft/.core-build';
const NGINX_HTTP_CONF = '/etc/nginx/conf.d/pressluft.conf';

/** Runs a shell command as `nobody`, a local user that is not root. */
function asNobody(script: string): { code: number | null; stderr: string } {
  const out = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', script], { encoding: 'utf8' });
  return { code: out.status, stderr: out.stderr };
}

/** Paths under dir that are not root's or that group or others may write. */
function notRootOnlyWritable(dir: string): string[] {
  const bad: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.uid !== 0 || (!st.isSymbolicLink() && (st.mode & 0o022) !== 0)) bad.push(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return bad;
}

/** Sends commands to the node's Redis on stdin (never argv) and returns its answers. */
async function redis(commands: string[]): Promise<string[]> {
  const out = await sh('redis-cli', ['-h', '127.0.0.1', '-p', '6379'], commands.join('\n') + '\n');
  return (out.stdout + out.stderr).split('\n').filter(Boolean);
}

// Playbooks wait for the machine-wide lock, which the e2e suite may hold for a long time.
const LOCK_WAIT_MS = 30 * 60_000;

describe('node-provision', { timeout: LOCK_WAIT_MS }, () => {
  let provision: PlaybookRun;

  beforeAll(async () => {
    provision = await runPlaybook('node-provision.yml', nodeVars());
  }, LOCK_WAIT_MS);

  it('Redis refuses a client without credentials, and its ACL files are root\'s', async () => {
    expectSuccess(provision);
    // What a site's PHP would try: read or write another site's keys as the default user.
    const anonymous = await redis(['KEYS *', 'SET pressluft:planted 1']);
    expect(anonymous).toHaveLength(2);
    for (const answer of anonymous) expect(answer).toMatch(/^NOAUTH/);
    const [auth, keys] = await redis(['AUTH default ""', 'KEYS *']);
    expect(auth).toMatch(/^WRONGPASS/);
    expect(keys).toMatch(/^NOAUTH/);

    const password = statSync(REDIS_ADMIN_PASSWORD_FILE);
    expect([password.uid, password.mode & 0o777]).toEqual([0, 0o600]);
    const acl = statSync(REDIS_ACLFILE);
    const redisGid = Number((await sh('id', ['-g', 'redis'])).stdout.trim());
    expect([acl.uid, acl.gid, acl.mode & 0o777]).toEqual([0, redisGid, 0o640]);
    // Redis keeps only a hash of the admin password.
    const secret = readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8').trim();
    expect(secret).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(readFileSync(REDIS_ACLFILE, 'utf8')).not.toContain(secret);
  });

  it('the admin user authenticates with the password file and may manage ACLs', async () => {
    const secret = readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8').trim();
    const answer = await redis([`AUTH ${REDIS_ADMIN_USER} ${secret}`, 'ACL WHOAMI', 'ACL LOAD']);
    expect(answer).toEqual(['OK', REDIS_ADMIN_USER, 'OK']);
  });

  it('a local user can plant nothing in the core build or cache, and the rebuilt core is root\'s alone', async () => {
    // Before the build: claim the build directory's predictable name.
    expect(asNobody(`mkdir -p ${CORE_BUILD_DIR}/debs`).code).not.toBe(0);
    // A different recorded source makes the next run rebuild the cache.
    writeFileSync(CORE_MARKER, '{"source": "planted"}');
    let attempt: { code: number | null; stderr: string; debsMode: number; debs: string[] } | undefined;
    const run = await runPlaybook('node-provision.yml', nodeVars(), {
      onEvent: (event) => {
        if (event.event !== 'task_start' || event.name !== 'Extract the packages') return;
        // The window the 0777 download directory left open: swap a downloaded .deb for our own.
        const debsDir = `${CORE_BUILD_DIR}/debs`;
        const debs = readdirSync(debsDir);
        const swap = asNobody(`echo backdoor > /tmp/pl-evil.deb && cp /tmp/pl-evil.deb ${debsDir}/${debs[0]} ; `
          + `r=$?; cp /tmp/pl-evil.deb ${debsDir}/zz-planted.deb || r=1; rm -f /tmp/pl-evil.deb; exit $r`);
        attempt = { ...swap, debsMode: statSync(debsDir).mode & 0o777, debs };
      },
    });
    expectSuccess(run);
    expect(run.events.find((e) => e.event === 'task_result' && e.name === 'Put the new WordPress core cache in place')?.status).toBe('changed');
    expect(attempt, 'the extraction step was reached').toBeDefined();
    expect(attempt!.debs.some((d) => d.startsWith('wordpress_'))).toBe(true);
    expect(attempt!.debsMode).toBe(0o700);
    expect(attempt!.code).not.toBe(0);
    expect(attempt!.stderr).toMatch(/Permission denied/);
    expect(existsSync(CORE_BUILD_DIR)).toBe(false);

    // After the build: the cache is root's, nothing in it writable by anyone else.
    expect(existsSync(`${CORE_DIR}/wp-load.php`)).toBe(true);
    expect(notRootOnlyWritable(CORE_DIR)).toEqual([]);
    expect(readFileSync(`${CORE_DIR}/wp-includes/version.php`, 'utf8')).toMatch(/\$wp_version = '[0-9.]+'/);
    const plant = asNobody(`touch ${CORE_DIR}/wp-includes/planted.php || mv ${CORE_DIR}/wp-load.php /tmp/ || exit 1; exit 0`);
    expect(plant.code).not.toBe(0);
    expect(existsSync(`${CORE_DIR}/wp-includes/planted.php`)).toBe(false);
  });

  it('a re-run keeps the admin password and changes nothing', async () => {
    const before = readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8');
    const run = await runPlaybook('node-provision.yml', nodeVars());
    expectSuccess(run);
    expect(run.events.at(-1)?.stats?.changed).toBe(0);
    expect(readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8')).toBe(before);
    expect(run.stdout + run.stderr).not.toContain(before.trim());
  });

  it('check mode reports what a re-run would change, and changes nothing', async () => {
    const converged = await runPlaybook('node-provision.yml', nodeVars(), { args: ['--check', '--diff'] });
    expectSuccess(converged);
    expect(converged.events.filter((e) => e.status === 'changed').map((e) => e.name)).toEqual([]);

    appendFileSync(NGINX_HTTP_CONF, '# edited by hand\n');
    const drifted = await runPlaybook('node-provision.yml', nodeVars(), { args: ['--check', '--diff'] });
    expectSuccess(drifted);
    expect(drifted.events.filter((e) => e.event === 'task_result' && e.status === 'changed').map((e) => e.name))
      .toEqual(['Write the nginx http configuration', 'Reload nginx now']);
    expect(readFileSync(NGINX_HTTP_CONF, 'utf8')).toContain('# edited by hand');
    const secret = readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8').trim();
    for (const run of [converged, drifted]) expect(run.stdout + run.stderr).not.toContain(secret);

    const repaired = await runPlaybook('node-provision.yml', nodeVars());
    expectSuccess(repaired);
    expect(readFileSync(NGINX_HTTP_CONF, 'utf8')).not.toContain('# edited by hand');
  });
});
