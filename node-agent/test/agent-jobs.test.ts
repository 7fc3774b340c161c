import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, harness, isAlive, type Harness } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

const DB_PASSWORD = 'db-pass-Xy7-0123456789abcdef';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('running a dispatched job', () => {
  it('accepts the job, streams its steps in order and ends with a result, with the vars file written 0600 and then deleted', async () => {
    const agent = await h.start();
    await agent.connected;
    const hello = h.cp.hellos[0];
    expect(hello).toMatchObject({ protocol_version: 1, node_id: h.cp.nodeId, hostname: 'test-node', agent_version: '0.1.0', jobs: [] });
    expect(hello.os.length).toBeGreaterThan(0);

    const record = path.join(h.dir, 'record.json');
    const job = dispatch({
      fake_record_file: record,
      pressluft_site_name: "{{ lookup('pipe', 'id') }}",
      fake_steps: [{ name: 'Install packages', status: 'changed', message: 'installed' }, { name: 'Create user', status: 'ok', item: 'alice' }, { name: 'Optional', status: 'skipped' }],
    });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');

    expect(h.cp.received('job_accepted')).toEqual([{ type: 'job_accepted', job_id: job.job_id, attempt: 1 }]);
    const events = h.cp.events(job.job_id, 1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => (e.data.kind === 'step' ? `${e.data.name}:${e.data.status}` : e.data.kind))).toEqual([
      'Install packages:started', 'Install packages:changed', 'Create user:started', 'Create user (alice):ok', 'Optional:started', 'Optional:skipped', 'result',
    ]);
    expect(events[1].data).toMatchObject({ message: 'installed' });
    expect(result).toMatchObject({ ok: true, exit_code: 0, error_code: null, failed_step: null });
    expect(result.output_tail).toContain('TASK Install packages: changed: installed');
    expect(result.output_tail).not.toContain('{"event"');

    const seen = JSON.parse(await readFile(record, 'utf8'));
    expect(seen.args).toEqual(['-c', 'local', '-i', path.join(h.dir, 'inventory', 'local.yml'), path.join(h.dir, 'playbooks', 'node-provision.yml'), '-e', `@${seen.vars_file}`]);
    expect(seen.ansible_config).toBe(path.join(h.dir, 'ansible.cfg'));
    expect(seen.unbuffered).toBe('1');
    expect(seen.vars_file_mode).toBe('0o600');
    expect(seen.vars_text).toContain(`"pressluft_site_name": !unsafe "{{ lookup('pipe', 'id') }}"`);
    expect(seen.vars_file.startsWith(path.join(h.stateDir, 'run') + path.sep)).toBe(true);
    expect(existsSync(seen.vars_file)).toBe(false);
    expect(existsSync(path.dirname(seen.vars_file))).toBe(false);
    await waitFor(async () => !existsSync(path.join(h.stateDir, 'journal', `${job.job_id}.1.jsonl`)), 'the acked journal to be deleted');
  });

  it('passes secrets to the playbook but scrubs them from everything sent', async () => {
    const agent = await h.start();
    await agent.connected;
    const record = path.join(h.dir, 'record.json');
    const job = dispatch({ fake_record_file: record, fake_echo_secret: true, fake_steps: [{ name: `Use ${DB_PASSWORD}`, status: 'failed', message: `denied for ${DB_PASSWORD}` }], fake_exit_code: 2 }, { secrets: { pressluft_secret_db_password: DB_PASSWORD } });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    expect(JSON.parse(await readFile(record, 'utf8')).vars.pressluft_secret_db_password).toBe(DB_PASSWORD);
    expect(JSON.stringify(h.cp.messages)).not.toContain(DB_PASSWORD);
    expect(result.output_tail).toContain('stdout mentions ********');
    expect(result.output_tail).toContain('stderr mentions ********');
    expect(result).toMatchObject({ ok: false, error_code: 'ANSIBLE_HOST_FAILED', exit_code: 2, failed_step: 'Use ********' });
    expect(result.error_message).toBe('Use ********: denied for ********');
  });

  it('cancel kills the whole process group and reports JOB_CANCELLED', async () => {
    const agent = await h.start();
    await agent.connected;
    const pidFile = path.join(h.dir, 'pids.json');
    const job = dispatch({ fake_pid_file: pidFile, fake_hang: true });
    h.cp.send(job);
    const pids = await waitFor(async () => existsSync(pidFile) && JSON.parse(await readFile(pidFile, 'utf8')), 'the playbook to start');
    await waitFor(() => h.cp.events(job.job_id, 1).some((e) => e.data.kind === 'step' && e.data.name === 'Hang'), 'the hanging step');
    expect(await isAlive(pids.child)).toBe(true);
    expect(pids.pgid).toBe(pids.pid);

    h.cp.send({ type: 'job_cancel', job_id: job.job_id, attempt: 1 });
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    expect(result).toMatchObject({ ok: false, error_code: 'JOB_CANCELLED' });
    await waitFor(async () => !(await isAlive(pids.pid)) && !(await isAlive(pids.child)), 'the process group to die', 5000);
  });

  it('a timeout stops the playbook, escalating to SIGKILL, and reports ANSIBLE_TIMEOUT with the running step', async () => {
    const agent = await h.start();
    await agent.connected;
    const pidFile = path.join(h.dir, 'pids.json');
    const job = dispatch({ fake_pid_file: pidFile, fake_hang: true, fake_ignore_term: true }, { timeout_ms: 1500 });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result', 18_000);
    expect(result).toMatchObject({ ok: false, error_code: 'ANSIBLE_TIMEOUT', failed_step: 'Hang' });
    expect(result.duration_ms).toBeGreaterThanOrEqual(1500);
    const pids = JSON.parse(await readFile(pidFile, 'utf8'));
    await waitFor(async () => !(await isAlive(pids.pid)) && !(await isAlive(pids.child)), 'the process group to die', 5000);
  }, 30_000);

  it('reports ANSIBLE_NOT_FOUND when ansible-playbook is missing', async () => {
    await h.agents.pop()?.stop();
    const agent = await h.start({ ansiblePlaybookBin: path.join(h.dir, 'no-such-ansible-playbook') });
    await agent.connected;
    const job = dispatch({});
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    expect(result).toMatchObject({ ok: false, error_code: 'ANSIBLE_NOT_FOUND', exit_code: null });
  });

  it('rejects a second dispatch while a job runs, and accepts a repeat of the running one', async () => {
    const agent = await h.start();
    await agent.connected;
    const first = dispatch({ fake_hang: true });
    const second = dispatch({});
    h.cp.send(first);
    await waitFor(() => h.cp.received('job_accepted').length === 1, 'the first accept');
    h.cp.send(second);
    h.cp.send(first);
    const rejected = await waitFor(() => h.cp.received('job_rejected')[0], 'the rejection');
    expect(rejected).toMatchObject({ job_id: second.job_id, attempt: 1 });
    expect(rejected.reason).toContain('already running');
    await waitFor(() => h.cp.received('job_accepted').length === 2, 'the repeated accept');
    expect(h.cp.received('job_accepted').every((m) => m.job_id === first.job_id)).toBe(true);
    h.cp.send({ type: 'job_cancel', job_id: first.job_id, attempt: 1 });
    await waitFor(() => h.cp.result(first.job_id, 1), 'the cancel result');
  });

  it('answers invalid messages with an error and keeps working', async () => {
    const agent = await h.start();
    await agent.connected;
    h.cp.socket!.send('not json {');
    h.cp.send({ type: 'job_dispatch', job_id: 'x' });
    h.cp.send({ type: 'no_such_type' });
    await waitFor(() => h.cp.received('error').length === 3, 'three error answers');
    const job = dispatch({});
    h.cp.send(job);
    expect(await waitFor(() => h.cp.result(job.job_id, 1), 'the result')).toMatchObject({ ok: true });
    expect(h.cp.connections).toBe(1);
  });

  it('rejects a playbook name that is not a plain file name', async () => {
    const agent = await h.start();
    await agent.connected;
    const job = dispatch({}, { playbook: '../../etc/evil.yml' });
    h.cp.send(job);
    expect(await waitFor(() => h.cp.received('job_rejected')[0], 'the rejection')).toMatchObject({ job_id: job.job_id });
    expect(h.cp.received('job_accepted')).toEqual([]);
  });
});

describe('reachability after the playbook', () => {
  const ENV_ID = '0a1b2c3d-0000-4000-8000-000000000001';
  const HOST = '0a1b2c3d.localhost';
  let site: http.Server;
  let envHeader = ENV_ID;

  beforeEach(async () => {
    site = http.createServer((req, res) => {
      const port = (site.address() as AddressInfo).port;
      res.setHeader('X-Pressluft-Environment', envHeader);
      res.end(req.url === '/?rest_route=/' ? JSON.stringify({ home: `http://${HOST}:${port}` }) : '<html>/wp-includes/js</html>');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => site.close(resolve));
  });

  const expectation = () => {
    const port = (site.address() as AddressInfo).port;
    return { environment_id: ENV_ID, preview_url: `http://${HOST}:${port}`, host: HOST, http_port: port };
  };

  it('sends a passing report before the successful result', async () => {
    const agent = await h.start();
    await agent.connected;
    const job = dispatch({}, { job_type: 'site_create', playbook: 'site-create.yml', reachability: expectation() });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    const events = h.cp.events(job.job_id, 1);
    expect(events.at(-2)?.data).toMatchObject({ kind: 'reachability', ok: true, environment_id: ENV_ID, host: HOST, http_status: 200, body_excerpt: null });
    expect(result.ok).toBe(true);
  });

  it('fails with RUNTIME_UNREACHABLE when another environment answers', async () => {
    envHeader = 'ffffffff-0000-4000-8000-000000000009';
    const agent = await h.start();
    await agent.connected;
    const job = dispatch({}, { job_type: 'site_create', playbook: 'site-create.yml', reachability: expectation() });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    expect(h.cp.events(job.job_id, 1).at(-2)?.data).toMatchObject({ kind: 'reachability', ok: false, header_environment_id: envHeader });
    expect(result).toMatchObject({ ok: false, error_code: 'RUNTIME_UNREACHABLE', exit_code: 0 });
    expect(result.error_message).toContain('X-Pressluft-Environment');
  });
});
