import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentFatalError } from '../src/index.ts';
import { processStartTime } from '../src/process-group.ts';
import { dispatch, FAKE_PLAYBOOK, harness, isAlive, type Harness } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

let h: Harness;
const previousCap = process.env.PRESSLUFT_AGENT_BACKOFF_MAX_MS;
beforeAll(() => {
  process.env.PRESSLUFT_AGENT_BACKOFF_MAX_MS = '300';
});
afterAll(() => {
  if (previousCap === undefined) delete process.env.PRESSLUFT_AGENT_BACKOFF_MAX_MS;
  else process.env.PRESSLUFT_AGENT_BACKOFF_MAX_MS = previousCap;
});
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const journalFiles = async (stateDir: string) => (await readdir(path.join(stateDir, 'journal')).catch(() => [])).sort();

describe('delivery across connection faults', () => {
  it('loses and duplicates no event when the socket drops mid-job and the playbook keeps running', async () => {
    const agent = await h.start();
    await agent.connected;
    h.cp.autoAck = false;
    const gate = path.join(h.dir, 'gate');
    const job = dispatch({ fake_wait_file: gate, fake_steps: [{ name: 'After the drop', status: 'changed' }, { name: 'Last', status: 'ok' }] });
    h.cp.send(job);
    await waitFor(() => h.cp.events(job.job_id, 1).length === 1, 'the first step');

    h.cp.drop();
    await writeFile(gate, '');
    // The playbook finishes while the agent is disconnected; the events wait in the journal.
    await waitFor(async () => (await readFile(path.join(h.stateDir, 'journal', `${job.job_id}.1.jsonl`), 'utf8')).includes('"kind":"result"'), 'the result in the journal');
    h.cp.autoAck = true;
    await waitFor(() => h.cp.connections === 2, 'the reconnect');
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    // The replay may have arrived before autoAck was back on.
    h.cp.ack(job.job_id, 1);

    expect(result.ok).toBe(true);
    const events = h.cp.events(job.job_id, 1);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.filter((e) => e.data.kind === 'result')).toHaveLength(1);
    expect(h.cp.gaps).toEqual([]);
    expect(h.cp.repeatsOnOneConnection).toEqual([]);
    // Running or finished depends on timing; the attempt is listed either way.
    expect(h.cp.hellos[1].jobs).toMatchObject([{ job_id: job.job_id, attempt: 1 }]);
    await waitFor(async () => (await journalFiles(h.stateDir)).length === 0, 'the journal to be deleted after the ack');
  });

  it('replays unacknowledged events after an agent restart and then deletes the journal', async () => {
    const first = await h.start();
    await first.connected;
    h.cp.autoAck = false;
    const job = dispatch({ fake_steps: [{ name: 'Only step', status: 'ok' }] });
    h.cp.send(job);
    await waitFor(() => h.cp.result(job.job_id, 1), 'the result');
    h.cp.ack(job.job_id, 1);
    // Acked: that journal goes. Then one whose events are never acked before the stop.
    await waitFor(async () => (await journalFiles(h.stateDir)).length === 0, 'the acked journal to be deleted');
    await first.stop();

    const second = await h.start();
    await second.connected;
    const unacked = dispatch({ fake_steps: [{ name: 'Step', status: 'ok' }] });
    h.cp.send(unacked);
    await waitFor(() => h.cp.result(unacked.job_id, 1), 'the result');
    await second.stop();
    expect(await journalFiles(h.stateDir)).toEqual([`${unacked.job_id}.1.jsonl`]);

    h.cp.stored.clear();
    h.cp.autoAck = true;
    const third = await h.start();
    await third.connected;
    expect(h.cp.hellos.at(-1)!.jobs).toEqual([{ job_id: unacked.job_id, attempt: 1, running: false }]);
    await waitFor(() => h.cp.result(unacked.job_id, 1), 'the replayed result');
    expect(h.cp.events(unacked.job_id, 1).map((e) => e.seq)).toEqual([1, 2, 3]);
    await waitFor(async () => (await journalFiles(h.stateDir)).length === 0, 'the journal to be deleted');
  });

  it('after a crash, kills the orphaned playbook, reports the attempt as not running and drops it when abandoned', async () => {
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const journalDir = path.join(h.stateDir, 'journal');
    await mkdir(journalDir, { recursive: true });
    const step = { type: 'job_event', job_id: 'crashed-job', attempt: 2, seq: 1, data: { kind: 'step', name: 'Install', status: 'started', duration_ms: null, message: null, at: new Date().toISOString() } };
    await writeFile(path.join(journalDir, 'crashed-job.2.jsonl'), `${JSON.stringify(step)}\n`);
    await writeFile(path.join(journalDir, 'crashed-job.2.pid'), JSON.stringify({ pid: orphan.pid, start_time: await processStartTime(orphan.pid!) }));
    h.cp.autoAck = false;
    h.cp.abandon = [{ job_id: 'crashed-job', attempt: 2 }];

    const agent = await h.start();
    await agent.connected;
    await waitFor(async () => !(await isAlive(orphan.pid!)), 'the orphan to die', 5000);
    expect(h.cp.hellos[0].jobs).toEqual([{ job_id: 'crashed-job', attempt: 2, running: false }]);
    await waitFor(async () => (await journalFiles(h.stateDir)).length === 0, 'the abandoned journal to be deleted');
    expect(h.cp.events('crashed-job', 2)).toEqual([]);
  });

  it('never kills a process whose pid was recycled', async () => {
    const bystander = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    bystander.unref();
    const journalDir = path.join(h.stateDir, 'journal');
    await mkdir(journalDir, { recursive: true });
    await writeFile(path.join(journalDir, 'crashed-job.1.jsonl'), '');
    await writeFile(path.join(journalDir, 'crashed-job.1.pid'), JSON.stringify({ pid: bystander.pid, start_time: '1' }));
    try {
      const agent = await h.start();
      await agent.connected;
      expect(await isAlive(bystander.pid!)).toBe(true);
      // Nothing to deliver and not running: reported once, then dropped.
      expect(h.cp.hellos[0].jobs).toEqual([{ job_id: 'crashed-job', attempt: 1, running: false }]);
      await waitFor(async () => (await journalFiles(h.stateDir)).length === 0, 'the empty journal to be dropped');
    } finally {
      process.kill(bystander.pid!, 'SIGKILL');
    }
  });

  it('kills a running attempt the control plane abandons after a reconnect, and writes no result for it', async () => {
    const agent = await h.start();
    await agent.connected;
    const pidFile = path.join(h.dir, 'pids.json');
    const job = dispatch({ fake_pid_file: pidFile, fake_hang: true });
    h.cp.send(job);
    const pids = await waitFor(async () => existsSync(pidFile) && JSON.parse(await readFile(pidFile, 'utf8')), 'the playbook to start');
    h.cp.abandon = [{ job_id: job.job_id, attempt: 1 }];
    h.cp.drop();
    await waitFor(() => h.cp.hellos.length === 2, 'the second hello');
    expect(h.cp.hellos[1].jobs).toEqual([{ job_id: job.job_id, attempt: 1, running: true }]);
    // Dispatched at once, as the control plane may: it waits for the abandoned run to end.
    const next = dispatch({});
    h.cp.send(next);
    await waitFor(async () => !(await isAlive(pids.pid)) && !(await isAlive(pids.child)), 'the playbook to die', 10_000);
    await waitFor(async () => !(await journalFiles(h.stateDir)).includes(`${job.job_id}.1.jsonl`), 'the journal to be dropped');
    expect(h.cp.result(job.job_id, 1)).toBeUndefined();
    expect(h.cp.received('job_rejected')).toEqual([]);
    expect(await waitFor(() => h.cp.result(next.job_id, 1), 'the next result')).toMatchObject({ ok: true });
  });

  it('stop() kills a running playbook and keeps its journal without a result for the next start', async () => {
    const agent = await h.start();
    await agent.connected;
    const pidFile = path.join(h.dir, 'pids.json');
    const job = dispatch({ fake_pid_file: pidFile, fake_hang: true });
    h.cp.send(job);
    const pids = await waitFor(async () => existsSync(pidFile) && JSON.parse(await readFile(pidFile, 'utf8')), 'the playbook to start');
    h.cp.autoAck = false;
    await agent.stop();
    await agent.done;
    // The signals are sent by now; on a loaded machine the processes may take a moment to go.
    await waitFor(async () => !(await isAlive(pids.pid)) && !(await isAlive(pids.child)), 'the process group to die', 5000);
    expect(await journalFiles(h.stateDir)).toContain(`${job.job_id}.1.jsonl`);

    const again = await h.start();
    await again.connected;
    expect(h.cp.hellos.at(-1)!.jobs).toEqual([{ job_id: job.job_id, attempt: 1, running: false }]);
    expect(h.cp.result(job.job_id, 1)).toBeUndefined();
  });

  it('reconnects after being superseded and after the control plane restarts its socket', async () => {
    const agent = await h.start();
    await agent.connected;
    h.cp.socket!.close(4002, 'superseded');
    await waitFor(() => h.cp.connections === 2 && h.cp.hellos.length === 2, 'the reconnect after 4002');
    h.cp.drop();
    await waitFor(() => h.cp.connections === 3 && h.cp.hellos.length === 3, 'the reconnect after a drop');
    const job = dispatch({});
    h.cp.send(job);
    expect(await waitFor(() => h.cp.result(job.job_id, 1), 'the result')).toMatchObject({ ok: true });
  });

  it('sends heartbeats at the interval from hello_ack', async () => {
    h.cp.heartbeatMs = 100;
    const agent = await h.start();
    await agent.connected;
    await waitFor(() => h.cp.received('heartbeat').length >= 3, 'three heartbeats', 5000);
  });
});

describe('fatal errors', () => {
  it('stops with AgentFatalError when the control plane rejects the credential (4001)', async () => {
    h.cp.credential = 'another-credential';
    const agent = await h.start();
    await expect(agent.done).rejects.toThrow(AgentFatalError);
    await expect(agent.done).rejects.toThrow("the control plane rejected this node's credential; re-register the node");
    await expect(agent.connected).rejects.toThrow(AgentFatalError);
    expect(h.cp.connections).toBe(0);
  });

  it('stops with AgentFatalError on a protocol version mismatch (4003)', async () => {
    h.cp.refuseWith = 4003;
    const agent = await h.start();
    await expect(agent.done).rejects.toThrow(/protocol version/);
  });

  it('refuses to start without a credential or a registration token', async () => {
    const bare = await harness({ credential: false });
    try {
      await expect(bare.start()).rejects.toThrow(/no registration token/);
    } finally {
      await bare.cleanup();
    }
  });
});

describe('registration', () => {
  it('exchanges the token for a credential stored 0600 and connects with it', async () => {
    const fresh = await harness({ credential: false });
    try {
      fresh.cp.registrationTokens.add('registration-token-0123456789');
      const agent = await fresh.start({ registrationToken: 'registration-token-0123456789' });
      await agent.connected;
      const file = path.join(fresh.stateDir, 'credential.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ node_id: fresh.cp.nodeId, credential: fresh.cp.credential });
      expect(agent.nodeId).toBe(fresh.cp.nodeId);
      await agent.stop();
      // The token was single-use: a restart works from the stored credential alone.
      const again = await fresh.start();
      await again.connected;
      expect(fresh.cp.connections).toBe(2);
    } finally {
      await fresh.cleanup();
    }
  });

  it('fails clearly on a refused token and writes nothing', async () => {
    const fresh = await harness({ credential: false });
    try {
      await expect(fresh.start({ registrationToken: 'wrong-token-0123456789xx' })).rejects.toThrow(/refused the registration token \(HTTP 401: invalid or expired token\)/);
      expect(existsSync(path.join(fresh.stateDir, 'credential.json'))).toBe(false);
    } finally {
      await fresh.cleanup();
    }
  });
});

describe('the pressluft-agent command', () => {
  const bin = fileURLToPath(new URL('../bin/pressluft-agent.js', import.meta.url));

  it('exits non-zero with a clear message when the credential is rejected', async () => {
    h.cp.credential = 'another-credential';
    const child = spawn(process.execPath, [bin, '--url', h.cp.url, '--state-dir', h.stateDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("pressluft-agent: the control plane rejected this node's credential; re-register the node");
  });

  it('after a SIGKILL mid-job, the next agent kills the orphaned playbook and reports the attempt as not running', async () => {
    const env = { ...process.env, PRESSLUFT_ANSIBLE_PLAYBOOK: FAKE_PLAYBOOK };
    const first = spawn(process.execPath, [bin, '--url', h.cp.url, '--state-dir', h.stateDir, '--ansible-dir', h.dir], { stdio: 'ignore', env });
    await waitFor(() => h.cp.hellos.length === 1, 'the first hello');
    const pidFile = path.join(h.dir, 'pids.json');
    const job = dispatch({ fake_pid_file: pidFile, fake_hang: true });
    h.cp.send(job);
    const pids = await waitFor(async () => existsSync(pidFile) && JSON.parse(await readFile(pidFile, 'utf8')), 'the playbook to start');
    await waitFor(() => h.cp.events(job.job_id, 1).some((e) => e.data.kind === 'step' && e.data.name === 'Hang'), 'the hanging step');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.on('exit', resolve));
    // Its own process group: the playbook outlives the agent.
    expect(await isAlive(pids.pid)).toBe(true);

    // The killed agent could not delete the vars file; the next start does.
    expect(await readdir(path.join(h.stateDir, 'run'))).toHaveLength(1);
    const agent = await h.start();
    await agent.connected;
    expect(await readdir(path.join(h.stateDir, 'run'))).toEqual([]);
    await waitFor(async () => !(await isAlive(pids.pid)) && !(await isAlive(pids.child)), 'the orphan to die', 5000);
    expect(h.cp.hellos[1].jobs).toEqual([{ job_id: job.job_id, attempt: 1, running: false }]);
    expect(h.cp.result(job.job_id, 1)).toBeUndefined();
  });

  it('stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, '--url', h.cp.url, '--state-dir', h.stateDir], { stdio: 'ignore' });
    await waitFor(() => h.cp.hellos.length === 1, 'the hello');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });
});
