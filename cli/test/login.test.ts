import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.ts';
import { controlPlaneKey, credentialsPath } from '../src/credentials.ts';
import { memoryOutput } from '../src/output.ts';
import type { Input } from '../src/prompt.ts';
import { ADMIN, makeJob, startFakeApi } from './helpers/fake-api.ts';

let api: Awaited<ReturnType<typeof startFakeApi>> | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

/** A shell of its own: a fresh config home and no admin credentials in the environment. */
function shell(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: mkdtempSync(path.join(os.tmpdir(), 'pressluft-xdg-')), PRESSLUFT_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'pressluft-nostate-')) };
}

function piped(text: string): Input {
  const stream = new PassThrough();
  stream.end(text);
  return stream;
}

/** A terminal that records raw-mode switches; keys are typed after the prompt is shown. */
function terminal(keys: string[]): Input & { rawModes: boolean[] } {
  const stream = new PassThrough() as unknown as Input & { rawModes: boolean[] };
  stream.isTTY = true;
  stream.rawModes = [];
  stream.setRawMode = (raw: boolean) => stream.rawModes.push(raw);
  // One key (or pasted chunk) at a time, as a terminal delivers them.
  const type = (i: number) => { if (i < keys.length) setTimeout(() => { (stream as unknown as PassThrough).write(keys[i]); type(i + 1); }, 5); };
  type(0);
  return stream;
}

async function run(argv: string[], env: NodeJS.ProcessEnv, stdin: Input = piped('')) {
  const out = memoryOutput();
  const code = await runCli(argv, { env: { PRESSLUFT_URL: api!.url, ...env }, cwd: os.tmpdir(), out, stdin });
  return { code, out };
}

function savedFile(env: NodeJS.ProcessEnv): Record<string, { token: string; email: string }> {
  return (JSON.parse(readFileSync(credentialsPath(env), 'utf8')) as { control_planes: Record<string, { token: string; email: string }> }).control_planes;
}

describe('pressluft login and logout', () => {
  it('logs in with the password from stdin, and every client command then sends the saved token', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    const login = await run(['login', '--email', ADMIN.email], env, piped(`${ADMIN.password}\nignored\n`));
    expect(login.code, login.out.stderr).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/api/login', body: { ...ADMIN, issue_token: true } });
    expect(login.out.stdout).not.toContain('tok1');

    const file = credentialsPath(env);
    expect(file).toBe(path.join(env.XDG_CONFIG_HOME!, 'pressluft', 'credentials.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(savedFile(env)).toEqual({ [api.url]: { token: 'tok1', email: ADMIN.email, expires_at: '2025-01-08T00:00:00.000Z' } });

    api.requests.length = 0;
    const list = await run(['site', 'list', '--json'], env);
    expect(list.code, list.out.stderr).toBe(0);
    expect(api.requests.map((r) => r.url)).toEqual(['/api/sites']);
    expect(api.requests[0]).toMatchObject({ authorization: 'Bearer tok1', cookie: undefined });

    const logout = await run(['logout'], env);
    expect(logout.code).toBe(0);
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/logout', authorization: 'Bearer tok1', contentType: 'application/json' });
    expect(api.sessions.has('tok1')).toBe(false);
    expect(savedFile(env)).toEqual({});

    const after = await run(['site', 'list'], env);
    expect(after.code).toBe(1);
    expect(after.out.stderr).toContain(`not logged in to ${api.url}: run \`pressluft login`);
  });

  it('keeps one session per control plane, and falls back to ~/.config without XDG_CONFIG_HOME', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const home = mkdtempSync(path.join(os.tmpdir(), 'pressluft-home-'));
    const env = { HOME: home, PRESSLUFT_STATE_DIR: home };
    const other = 'http://cp.example.test:8443/';
    expect((await run(['login', '--email', ADMIN.email], env, piped(ADMIN.password))).code).toBe(0);
    expect((await run(['login', '--email', ADMIN.email, '--url', api.url.replace('127.0.0.1', 'localhost')], env, piped(ADMIN.password))).code).toBe(0);
    expect(credentialsPath(env)).toBe(path.join(home, '.config', 'pressluft', 'credentials.json'));
    expect(Object.keys(savedFile(env)).sort()).toEqual([api.url, api.url.replace('127.0.0.1', 'localhost')].sort());
    expect(controlPlaneKey(other)).toBe('http://cp.example.test:8443');

    expect((await run(['logout', '--url', api.url.replace('127.0.0.1', 'localhost')], env)).code).toBe(0);
    expect(Object.keys(savedFile(env))).toEqual([api.url]);
    expect((await run(['logout', '--url', other], env)).out.stdout).toContain(`Not logged in to ${other}.`);
  });

  it('a second login revokes the session it replaces', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    await run(['login', '--email', ADMIN.email], env, piped(ADMIN.password));
    await run(['login', '--email', ADMIN.email], env, piped(ADMIN.password));
    expect([...api.sessions]).toEqual(['tok2']);
    expect(savedFile(env)[api.url].token).toBe('tok2');
  });

  it('says to log in again when the server refuses the saved token', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    await run(['login', '--email', ADMIN.email], env, piped(ADMIN.password));
    api.sessions.clear(); // revoked or expired server-side
    const list = await run(['site', 'list'], env);
    expect(list.code).toBe(1);
    expect(list.out.stderr).toContain(`the saved session for ${api.url} was refused (expired or revoked): run \`pressluft login`);
    // Logging out of a session the server already forgot still forgets it here.
    expect((await run(['logout'], env)).code).toBe(0);
    expect(savedFile(env)).toEqual({});
  });

  it('lets the environment\'s admin credentials win over a saved session', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    await run(['login', '--email', ADMIN.email], env, piped(ADMIN.password));
    api.requests.length = 0;
    expect((await run(['site', 'list'], { ...env, PRESSLUFT_ADMIN_EMAIL: ADMIN.email, PRESSLUFT_ADMIN_PASSWORD: ADMIN.password })).code).toBe(0);
    expect(api.requests.map((r) => r.url)).toEqual(['/api/login', '/api/sites', '/api/logout']);
    expect(api.requests[1].authorization).toBeUndefined();
  });

  it('asks for the password on a terminal with echo off', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    const tty = terminal([ADMIN.password.slice(0, 3), 'x\u007f', ADMIN.password.slice(3), '\r']);
    const { code, out } = await run(['login', '--email', ADMIN.email], env, tty);
    expect(code, out.stderr).toBe(0);
    expect(api.requests[0].body).toEqual({ ...ADMIN, issue_token: true });
    expect(tty.rawModes).toEqual([true, false]);
    // Only the prompt and the newline after it: nothing typed was echoed.
    expect(out.stderr).toBe('Password: \n');
  });

  it('asks for the email too on a terminal, and Ctrl-C cancels with 130 and sends nothing', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    const asked = await run(['login'], env, terminal([`${ADMIN.email}\r\n`, ADMIN.password, '\r']));
    expect(asked.code, asked.out.stderr).toBe(0);
    expect(asked.out.stderr).toBe('Email: Password: \n');
    expect(api.requests[0].body).toEqual({ ...ADMIN, issue_token: true });
    api.requests.length = 0;
    const cancelled = await run(['login', '--email', ADMIN.email], env, terminal(['sec', '\u0003']));
    expect(cancelled.code).toBe(130);
    expect(api.requests).toEqual([]);
  });

  it('refuses a login without an email off a terminal or with an empty stdin, before any request', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const env = shell();
    const noEmail = await run(['login'], env, piped(ADMIN.password));
    expect(noEmail.code).toBe(2);
    expect(noEmail.out.stderr).toContain('--email is required when stdin is not a terminal');
    const noPassword = await run(['login', '--email', ADMIN.email], env, piped(''));
    expect(noPassword.code).toBe(2);
    expect(noPassword.out.stderr).toContain('no password on stdin');
    const badUrl = await run(['login', '--email', ADMIN.email, '--url', 'ftp://x'], env, piped(ADMIN.password));
    expect(badUrl.code).toBe(2);
    expect(api.requests).toEqual([]);
  });
});
