import { readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSuccess } from './assertions.ts';
import { nodeVars } from './fixtures.ts';
import { runPlaybook, sh, type PlaybookRun } from './support.ts';

const REDIS_ACLFILE = '/etc/redis/users.acl';
const REDIS_ADMIN_USER = 'pressluft-admin';
const REDIS_ADMIN_PASSWORD_FILE = '/etc/pressluft/redis-admin.password';

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

  it('a re-run keeps the admin password and changes nothing', async () => {
    const before = readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8');
    const run = await runPlaybook('node-provision.yml', nodeVars());
    expectSuccess(run);
    expect(run.events.at(-1)?.stats?.changed).toBe(0);
    expect(readFileSync(REDIS_ADMIN_PASSWORD_FILE, 'utf8')).toBe(before);
    expect(run.stdout + run.stderr).not.toContain(before.trim());
  });
});
