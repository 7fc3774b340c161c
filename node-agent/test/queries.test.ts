import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeNames, type NodeQueryRequest } from '@pressluft/shared';
import { fastcgiRequest, FastCgiError } from '../src/queries/fastcgi.ts';
import { makeMagicLogin } from '../src/queries/magic-login.ts';
import { runQuery } from '../src/queries/run-query.ts';
import { dispatch, harness, type Harness } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';
import { FakeFpm, type FpmAnswer } from './helpers/fake-fpm.ts';

const ENV = '0f1e2d3c-4b5a-4697-8899-aabbccddeeff';
const TOKEN = 'AbC-_0123456789abcdefghijklmnopqrstuvwxyzAB';
const query = { kind: 'magic_login', environment_id: ENV, address: 'http://0f1e2d3c.localhost:8088' } as const;
const tokenAnswer = (): FpmAnswer => ({ stdout: `Content-Type: application/json\r\n\r\n{"token":"${TOKEN}","expires_at":1796648460}\n` });

let dir: string;
const servers: FakeFpm[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pressluft-fpm-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A fake pool listening where the agent looks for this environment's socket. */
async function pool(handler: (params: Record<string, string>) => FpmAnswer): Promise<FakeFpm> {
  const fpm = await FakeFpm.listen(path.join(dir, `${runtimeNames(ENV).pool}.sock`), handler);
  servers.push(fpm);
  return fpm;
}

describe('the FastCGI client', () => {
  it('sends every param (long ones with 4-byte lengths) and reads the status and body of split, padded records', async () => {
    const fpm = await pool(() => ({ stdout: 'Status: 403 Forbidden\r\nContent-Type: text/html\r\n\r\n<p>no</p>' }));
    const long = 'x'.repeat(300);
    const res = await fastcgiRequest(path.join(dir, `${runtimeNames(ENV).pool}.sock`), { SHORT: 'v', LONG: long }, Buffer.from('body'), 2000);
    expect(res).toEqual({ status: 403, body: '<p>no</p>' });
    expect(fpm.requests[0].params).toMatchObject({ SHORT: 'v', LONG: long, CONTENT_LENGTH: '4' });
    expect(fpm.requests[0].stdin.toString()).toBe('body');
  });

  it('gives up at its deadline with a timeout error when the pool never answers', async () => {
    await pool(() => 'hang');
    const started = Date.now();
    const error = await fastcgiRequest(path.join(dir, `${runtimeNames(ENV).pool}.sock`), {}, Buffer.alloc(0), 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FastCgiError);
    expect((error as FastCgiError).timedOut).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reports a pool that hangs up, or does not listen, as a failure (not a timeout)', async () => {
    await pool(() => 'close');
    const closed = await fastcgiRequest(path.join(dir, `${runtimeNames(ENV).pool}.sock`), {}, Buffer.alloc(0), 2000).catch((e: FastCgiError) => e);
    expect(closed).toMatchObject({ timedOut: false, message: 'the PHP-FPM pool closed the connection before it answered' });
    const missing = await fastcgiRequest(path.join(dir, 'nothing.sock'), {}, Buffer.alloc(0), 2000).catch((e: FastCgiError) => e);
    expect(missing).toMatchObject({ timedOut: false, message: 'the PHP-FPM pool is not listening (ENOENT)' });
  });
});

describe('making a magic login', () => {
  it('asks the environment\'s pool socket with the magic-login param, the env id and its address as Host', async () => {
    const fpm = await pool(tokenAnswer);
    const answer = await makeMagicLogin(query, 2000, { socketDir: dir });
    expect(answer).toEqual({ kind: 'magic_login', token: TOKEN, expires_at: new Date(1796648460 * 1000).toISOString() });
    const { params } = fpm.requests[0];
    expect(params).toMatchObject({
      PRESSLUFT_MAGIC_LOGIN: 'create', PRESSLUFT_ENV_ID: ENV,
      SCRIPT_FILENAME: `/var/www/sites/${ENV}/current/wp-load.php`, DOCUMENT_ROOT: `/var/www/sites/${ENV}/current`,
      HTTP_HOST: '0f1e2d3c.localhost:8088', SERVER_NAME: '0f1e2d3c.localhost', SERVER_PORT: '8088', REQUEST_METHOD: 'POST',
    });
    // Only the Host travels as an HTTP_* param; nothing a client header could have set.
    expect(Object.keys(params).filter((k) => k.startsWith('HTTP_'))).toEqual(['HTTP_HOST']);
    expect(params.HTTPS).toBeUndefined();
  });

  it('turns what the pool answers instead of a token into clear failures, never echoing a would-be token', async () => {
    const answers: FpmAnswer[] = [
      { stdout: 'Content-Type: text/html\r\n\r\n' },
      { stdout: 'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nthis WordPress has no administrator account\n' },
      { stdout: 'Content-Type: application/json\r\n\r\n{"token":"secret-but-short","expires_at":1}\n' },
      { stdout: 'Content-Type: text/html\r\n\r\n<html><body>Error establishing a database connection</body></html>' },
    ];
    await pool(() => answers.shift()!);
    const run = () => runQuery({ type: 'node_query', request_id: 'r', deadline_ms: 2000, query }, { socketDir: dir });
    expect(await run()).toEqual({ ok: false, code: 'failed', message: 'WordPress answered without a token: the pressluft-magic-login must-use plugin is missing in this environment' });
    expect(await run()).toEqual({ ok: false, code: 'failed', message: 'WordPress could not make a login token (PHP answered 500): this WordPress has no administrator account' });
    const malformed = await run();
    expect(malformed).toEqual({ ok: false, code: 'failed', message: 'WordPress answered a malformed login token' });
    expect(await run()).toEqual({ ok: false, code: 'failed', message: 'WordPress answered something other than a login token: Error establishing a database connection' });
  });

  it('answers timeout when the pool stalls past the deadline, failed when it is not there', async () => {
    const request: NodeQueryRequest = { type: 'node_query', request_id: 'r', deadline_ms: 700, query };
    expect(await runQuery(request, { socketDir: dir })).toMatchObject({ ok: false, code: 'failed', message: 'the PHP-FPM pool is not listening (ENOENT)' });
    await pool(() => 'hang');
    expect(await runQuery(request, { socketDir: dir })).toMatchObject({ ok: false, code: 'timeout' });
  });
});

describe('node queries in the agent', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('answers a query while a job runs, and keeps the token out of its log', async () => {
    await pool(tokenAnswer);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const agent = await h.start({ queryDeps: { socketDir: dir }, logger });
    await agent.connected;
    const job = dispatch({ fake_hang: true });
    h.cp.send(job);
    await waitFor(() => h.cp.received('job_accepted').length === 1, 'the job to start');
    h.cp.send({ type: 'node_query', request_id: 'q-1', deadline_ms: 2000, query });
    const [result] = await waitFor(() => (h.cp.received('node_query_result').length ? h.cp.received('node_query_result') : undefined), 'the query result');
    expect(result).toEqual({ type: 'node_query_result', request_id: 'q-1', result: { ok: true, answer: { kind: 'magic_login', token: TOKEN, expires_at: new Date(1796648460 * 1000).toISOString() } } });
    expect(h.cp.received('job_rejected')).toEqual([]);
    expect(h.cp.result(job.job_id, 1)).toBeUndefined();
    expect(lines.join('')).toContain('query answered');
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('answers a query that fails on the node with its reason, under the same request id', async () => {
    const agent = await h.start({ queryDeps: { socketDir: dir } });
    await agent.connected;
    h.cp.send({ type: 'node_query', request_id: 'q-2', deadline_ms: 2000, query });
    const [result] = await waitFor(() => (h.cp.received('node_query_result').length ? h.cp.received('node_query_result') : undefined), 'the query result');
    expect(result).toEqual({ type: 'node_query_result', request_id: 'q-2', result: { ok: false, code: 'failed', message: 'the PHP-FPM pool is not listening (ENOENT)' } });
  });
});
