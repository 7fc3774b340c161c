import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { UsageError, parsePort } from '../src/args.ts';
import { findCommand, runCli } from '../src/cli.ts';
import { environmentNames } from '../src/commands/env.ts';
import { resolveClientConfig } from '../src/config.ts';
import { memoryOutput } from '../src/output.ts';

// No control plane runs at this URL: every case must fail on usage before any request.
const ENV = { PRESSLUFT_URL: 'http://127.0.0.1:9', PRESSLUFT_ADMIN_EMAIL: 'a@example.test', PRESSLUFT_ADMIN_PASSWORD: 'pw' };

async function run(argv: string[]) {
  const out = memoryOutput();
  const code = await runCli(argv, { env: ENV, cwd: os.tmpdir(), out });
  return { code, out };
}

describe('usage errors exit 2 with usage text and send no request', () => {
  it.each([
    [['frobnicate'], 'unknown command: frobnicate'],
    [['site'], 'unknown command: site'],
    [['site', 'create', '--name', 'Acme'], '--slug is required'],
    [['site', 'create', '--name', 'Acme', '--slug', 'acme', '--colour'], "Unknown option '--colour'"],
    [['site', 'show'], 'missing SLUG|ID'],
    [['site', 'show', 'a', 'b'], 'unexpected argument: b'],
    [['site', 'delete', 'acme'], 'confirm with --yes'],
    [['env', 'create', '--site', 'acme', '--type', 'production'], '--type must be staging or clone'],
    [['env', 'delete', 'x'], 'confirm with --yes'],
    [['env', 'list'], '--site is required'],
    [['jobs', '--status', 'done'], '--status must be one of'],
    [['jobs', '--limit', '0'], '--limit must be a number'],
    [['job', 'show'], 'missing JOB_ID'],
    [['dev', '--port', 'http'], '--port must be a port number'],
    [['dev', '--http-port', '0'], '--http-port must be a port number'],
  ])('%j', async (argv, message) => {
    const { code, out } = await run(argv);
    expect(code).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.stderr).toMatch(/Usage: pressluft/);
    expect(out.stderr).not.toContain('cannot reach');
  });

  it('prints the command list with exit 2 when no command is given, and exit 0 for --help', async () => {
    expect((await run([])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out.stdout).toContain('site create');
    const sub = await run(['site', 'create', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.out.stdout).toContain('Usage: pressluft site create --name NAME --slug SLUG');
  });
});

describe('argument helpers', () => {
  it('picks the longest matching command path', () => {
    expect(findCommand(['site', 'create', '--name', 'x'])?.command.path).toEqual(['site', 'create']);
    expect(findCommand(['jobs', '--status', 'failed'])?.args).toEqual(['--status', 'failed']);
    expect(findCommand(['job', 'frob'])).toBeNull();
  });

  it('parses ports and refuses junk', () => {
    expect(parsePort(undefined, 'port', 8080, 'u')).toBe(8080);
    expect(parsePort('8081', 'port', 8080, 'u')).toBe(8081);
    expect(parsePort('0', 'port', 8080, 'u', true)).toBe(0);
    for (const bad of ['0', '65536', '80a', '-1', '']) expect(() => parsePort(bad, 'port', 8080, 'u')).toThrow(UsageError);
  });

  it('derives environment names from the type unless given', () => {
    expect(environmentNames('staging')).toEqual({ name: 'Staging', slug: 'staging' });
    expect(environmentNames('clone')).toEqual({ name: 'Clone', slug: 'clone' });
    expect(environmentNames('staging', 'QA Stage')).toEqual({ name: 'QA Stage', slug: 'qa-stage' });
    expect(environmentNames('clone', undefined, 'c2')).toEqual({ name: 'Clone', slug: 'c2' });
  });

  it('resolves the URL and state directory from flags, then environment, then defaults', () => {
    expect(resolveClientConfig({}, { XDG_CONFIG_HOME: '/nonexistent' }, '/srv')).toMatchObject({ url: 'http://127.0.0.1:8080', stateDir: '/srv/.pressluft', auth: null });
    expect(resolveClientConfig({}, { PRESSLUFT_URL: 'http://cp:1', PRESSLUFT_STATE_DIR: 'st', XDG_CONFIG_HOME: '/nonexistent' }, '/srv')).toMatchObject({ url: 'http://cp:1', stateDir: '/srv/st' });
    expect(resolveClientConfig({ url: 'http://flag:2', 'state-dir': '/abs' }, { PRESSLUFT_URL: 'http://cp:1', XDG_CONFIG_HOME: '/nonexistent' }, '/srv')).toMatchObject({ url: 'http://flag:2', stateDir: '/abs' });
  });
});
