import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_CODES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, type JobDto, type JobEventDto, type NodeDto } from '@pressluft/shared';
import { spawnAgent, startCuttableProxy, startTestControlPlane, type AgentProcess } from './support.ts';
import { waitFor } from '../support/wait.ts';
import type { TestApi } from '../support/api.ts';

// Faults of the control plane ↔ agent link, with real processes: the real control plane,
// the real agent as a child process and real ansible-playbook runs of a slow fixture playbook.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function registerNode(api: TestApi): Promise<{ nodeId: string; token: string }> {
  const res = await api.request<{ node: NodeDto; registration_token: string }>('POST', '/api/nodes', { name: 'link-node' });
  expect(res.status).toBe(201);
  return { nodeId: res.body.node.id, token: res.body.registration_token };
}

function track(agent: AgentProcess): AgentProcess {
  cleanups.push(async () => { if (agent.child.exitCode === null) { agent.child.kill('SIGKILL'); await agent.exited; } });
  return agent;
}

async function provision(api: TestApi, nodeId: string): Promise<string> {
  const res = await api.request<{ job_id: string }>('POST', `/api/nodes/${nodeId}/provision`);
  expect(res.status).toBe(202);
  return res.body.job_id;
}

async function waitForSteps(api: TestApi, jobId: string, n: number): Promise<void> {
  await waitFor(async () => (await api.jobEvents(jobId)).filter((e) => e.type === 'step' && e.data.status !== 'started').length >= n, { timeoutMs: 60_000, what: `${n} finished steps` });
}

function assertCleanSequence(events: JobEventDto[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const finished = events.filter((e) => e.type === 'step' && e.data.status !== 'started').map((e) => `${e.attempt}:${e.data.name}`);
  expect(new Set(finished).size).toBe(finished.length);
}

describe('the agent link under faults', () => {
  it('loses and duplicates no event when the websocket drops mid-job', async () => {
    const { cp, api } = await startTestControlPlane();
    cleanups.push(() => cp.close());
    const proxy = await startCuttableProxy(Number(new URL(cp.url).port));
    cleanups.push(() => proxy.close());
    const { nodeId, token } = await registerNode(api);
    const agent = track(spawnAgent(proxy.url, tmp('pressluft-agent-'), token));
    await waitFor(async () => (await api.get<NodeDto>(`/api/nodes/${nodeId}`)).agent_connected, { what: 'agent connected' });

    const jobId = await provision(api, nodeId);
    await waitForSteps(api, jobId, 2);
    expect(proxy.cut()).toBeGreaterThan(0);

    const job = await api.waitForJob(jobId, 120_000);
    expect(job, agent.output().slice(-3000)).toMatchObject({ status: 'succeeded', attempt: 1 });
    const events = await api.jobEvents(jobId);
    assertCleanSequence(events);
    // Every loop item of the fixture playbook arrived exactly once.
    const items = events.filter((e) => e.type === 'step' && e.data.status !== 'started' && /^Take a step \(\d\)$/.test(String(e.data.name)));
    expect(items.map((e) => e.data.name).sort()).toEqual([1, 2, 3, 4, 5, 6].map((i) => `Take a step (${i})`));
    expect(events.filter((e) => e.type === 'result')).toHaveLength(1);
    expect((await api.get<NodeDto>(`/api/nodes/${nodeId}`)).status).toBe('active');
  });

  it('never lets a job succeed by accident when the agent is SIGKILLed mid-job: AGENT_LOST, then the retry converges', async () => {
    const { cp, api } = await startTestControlPlane();
    cleanups.push(() => cp.close());
    const { nodeId, token } = await registerNode(api);
    const stateDir = tmp('pressluft-agent-');
    const first = track(spawnAgent(cp.url, stateDir, token));
    await waitFor(async () => (await api.get<NodeDto>(`/api/nodes/${nodeId}`)).agent_connected, { what: 'agent connected' });

    const jobId = await provision(api, nodeId);
    await waitForSteps(api, jobId, 2);
    first.child.kill('SIGKILL');
    await first.exited;

    // Until an agent is back the job cannot succeed.
    const meanwhile = await api.job(jobId);
    expect(meanwhile.status).not.toBe('succeeded');

    track(spawnAgent(cp.url, stateDir));
    const job = await api.waitForJob(jobId, 120_000);
    expect(job.status).toBe('succeeded');
    expect(job.attempt).toBeGreaterThanOrEqual(2);
    const events = await api.jobEvents(jobId);
    assertCleanSequence(events);
    expect(events.some((e) => e.type === 'state' && e.data.error_code === 'AGENT_LOST')).toBe(true);
  });

  it('completes a running job after the control plane restarts mid-job', async () => {
    const first = await startTestControlPlane();
    const stateDir = first.stateDir;
    let { cp, api } = first;
    const port = Number(new URL(cp.url).port);
    const { nodeId, token } = await registerNode(api);
    track(spawnAgent(cp.url, tmp('pressluft-agent-'), token));
    await waitFor(async () => (await api.get<NodeDto>(`/api/nodes/${nodeId}`)).agent_connected, { what: 'agent connected' });

    const jobId = await provision(api, nodeId);
    await waitForSteps(api, jobId, 2);
    await cp.close();
    ({ cp, api } = await startTestControlPlane(stateDir, port));
    cleanups.push(() => cp.close());

    const job: JobDto = await api.waitForJob(jobId, 120_000);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 1 });
    assertCleanSequence(await api.jobEvents(jobId));
  });

  describe('rejects bad peers with the right close code and writes nothing', () => {
    async function connect(url: string, headers: Record<string, string>): Promise<WebSocket> {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/agent/ws', { headers });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return ws;
    }
    function closeCode(ws: WebSocket): Promise<number> {
      return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    }

    it('closes wrong credentials, wrong protocol versions, garbage and oversized frames', async () => {
      const { cp, api } = await startTestControlPlane();
      cleanups.push(() => cp.close());
      const { nodeId, token } = await registerNode(api);
      const reg = await api.request<{ node_id: string; credential: string }>('POST', '/api/nodes/register', { token, hostname: 'h', agent_version: 't' });
      expect(reg.status).toBe(200);
      const auth = { authorization: `Bearer ${nodeId}:${reg.body.credential}` };
      const hello = { type: 'hello', node_id: nodeId, agent_version: 't', hostname: 'h', os: 'o', public_ip: null, jobs: [] };
      const before = await api.get<NodeDto>(`/api/nodes/${nodeId}`);

      const wrong = await connect(cp.url, { authorization: `Bearer ${nodeId}:not-the-credential` });
      expect(await closeCode(wrong)).toBe(CLOSE_CODES.BAD_CREDENTIAL);

      const version = await connect(cp.url, auth);
      version.send(JSON.stringify({ ...hello, protocol_version: PROTOCOL_VERSION + 1 }));
      expect(await closeCode(version)).toBe(CLOSE_CODES.PROTOCOL_MISMATCH);

      const garbage = await connect(cp.url, auth);
      const garbageClosed = closeCode(garbage);
      for (let i = 0; i < 10 && garbage.readyState === WebSocket.OPEN; i++) garbage.send('{not json');
      expect([CLOSE_CODES.HELLO_REQUIRED, CLOSE_CODES.TOO_MANY_VIOLATIONS]).toContain(await garbageClosed);

      const big = await connect(cp.url, auth);
      big.send('x'.repeat(MAX_MESSAGE_BYTES + 10));
      expect(await closeCode(big)).toBe(1009);

      const after = await api.get<NodeDto>(`/api/nodes/${nodeId}`);
      expect(after).toMatchObject({ status: before.status, hostname: before.hostname, agent_version: before.agent_version, last_seen_at: before.last_seen_at });
      expect(await api.get<JobDto[]>('/api/jobs')).toEqual([]);
    });
  });
});
