// Many simulated agents against one control plane (issue 3, "Scale"): connect N agents, dispatch
// a trivial job to each, print connect time, enqueue→dispatch and dispatch→accepted latencies
// (p50/p99) and the control plane's RSS. Usage: npx tsx scripts/bench-agents.ts [agents=500]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, ControlPlaneMessage } from '@pressluft/shared';
import { TestApi } from '../test/support/api.ts';
import { freePort } from '../test/support/harness.ts';
import { waitFor } from '../test/support/wait.ts';
import { REPO_ROOT } from '../test/support/paths.ts';

const count = Number(process.argv[2] ?? 500);
const admin = { email: 'bench@pressluft.test', password: 'bench-password-123' };
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

// The control plane runs in its own process so its RSS is its own.
const port = await freePort();
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-bench-'));
const script = `import { startControlPlane } from '@pressluft/control-plane';
await startControlPlane({ stateDir: ${JSON.stringify(stateDir)}, port: ${port}, adminEmail: ${JSON.stringify(admin.email)}, adminPassword: ${JSON.stringify(admin.password)}, dashboardDir: null });
process.stdout.write('listening\\n');`;
const cp = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
  cwd: path.join(REPO_ROOT, 'control-plane'),
  env: { ...process.env, PRESSLUFT_LOG_LEVEL: 'warn', PRESSLUFT_HEARTBEAT_MS: '5000' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let cpOut = '';
cp.stdout!.setEncoding('utf8').on('data', (c: string) => (cpOut += c));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cp.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${cp.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

try {
  await waitFor(() => cpOut.includes('listening'), { timeoutMs: 60_000, what: 'control plane' });
  const url = `http://127.0.0.1:${port}`;
  const api = new TestApi(url);
  await api.login(admin.email, admin.password);

  const nodes: { id: string; credential: string }[] = [];
  for (let i = 0; i < count; i++) {
    const created = await api.request('POST', '/api/nodes', { name: `bench-${i}` });
    const reg = await api.request('POST', '/api/nodes/register', { token: created.body.registration_token, hostname: `bench-${i}`, agent_version: 'bench' });
    nodes.push({ id: reg.body.node_id, credential: reg.body.credential });
  }
  console.log(`registered ${count} nodes; control plane RSS ${rss().toFixed(0)} MB`);

  const dispatchedAt = new Map<string, number>();
  const sockets: WebSocket[] = [];
  const t0 = performance.now();
  await Promise.all(nodes.map((node) => new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/agent/ws`, { headers: { authorization: `Bearer ${node.id}:${node.credential}` } });
    sockets.push(ws);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol_version: PROTOCOL_VERSION, node_id: node.id, agent_version: 'bench', hostname: 'bench', os: 'bench', public_ip: null, jobs: [] })));
    ws.on('message', (raw) => {
      const msg = ControlPlaneMessage.parse(JSON.parse(raw.toString()));
      if (msg.type === 'hello_ack') resolve();
      if (msg.type === 'job_dispatch') {
        dispatchedAt.set(msg.job_id, Date.now());
        ws.send(JSON.stringify({ type: 'job_accepted', job_id: msg.job_id, attempt: msg.attempt }));
        ws.send(JSON.stringify({ type: 'job_event', job_id: msg.job_id, attempt: msg.attempt, seq: 1, data: { kind: 'result', ok: true, exit_code: 0, error_code: null, error_message: null, failed_step: null, output_tail: null, duration_ms: 1, at: new Date().toISOString() } }));
      }
    });
  })));
  const connectMs = performance.now() - t0;
  console.log(`${count} agents connected (hello → hello_ack) in ${connectMs.toFixed(0)} ms; RSS ${rss().toFixed(0)} MB`);

  /**
   * One job per node, enqueued either all at once (burst) or at `perSecond`. Latencies:
   * dispatch → accepted is from the control plane claiming and sending the job (its
   * started_at) to the agent answering job_accepted; enqueue → dispatch also includes the
   * HTTP request that enqueued it, queued behind the other requests of the burst.
   */
  async function round(label: string, perSecond: number | null): Promise<void> {
    dispatchedAt.clear();
    const enqueuedAt = new Map<string, number>();
    const sentAt = Date.now();
    await Promise.all(nodes.map(async (node, i) => {
      if (perSecond) await new Promise((resolve) => setTimeout(resolve, (i * 1000) / perSecond));
      const sent = Date.now();
      const res = await api.request('POST', `/api/nodes/${node.id}/provision`);
      if (res.status !== 202) throw new Error(`enqueue failed: ${res.status} ${JSON.stringify(res.body)}`);
      enqueuedAt.set(res.body.job_id, sent);
    }));
    await waitFor(() => dispatchedAt.size >= count, { timeoutMs: 120_000, what: 'all dispatches' });
    await waitFor(async () => {
      const m = await api.get<{ jobs_running: number; jobs_queued: number }>('/api/metrics');
      return m.jobs_running + m.jobs_queued === 0;
    }, { timeoutMs: 120_000, what: 'all jobs finished' });
    const jobs = await api.get<{ id: string; started_at: string; status: string }[]>(`/api/jobs?limit=500`);
    const mine = jobs.filter((j) => enqueuedAt.has(j.id));
    const toAccepted = mine.map((j) => dispatchedAt.get(j.id)! - Date.parse(j.started_at));
    const toDispatch = [...enqueuedAt].map(([id, at]) => dispatchedAt.get(id)! - at);
    console.log(`${label}: ${mine.length} jobs in ${((Date.now() - sentAt) / 1000).toFixed(1)} s, ${mine.filter((j) => j.status === 'succeeded').length} succeeded`);
    console.log(`  dispatch → accepted: p50 ${pct(toAccepted, 50)} ms, p99 ${pct(toAccepted, 99)} ms [target p99 < 100 ms]`);
    console.log(`  enqueue request → dispatch: p50 ${pct(toDispatch, 50)} ms, p99 ${pct(toDispatch, 99)} ms`);
  }

  console.log('');
  console.log(`agents: ${count}; connect all: ${connectMs.toFixed(0)} ms`);
  await round('burst (all enqueued at once)', null);
  await round('steady (100 jobs/s)', 100);
  console.log(`control plane RSS: now ${rss().toFixed(0)} MB, peak ${peakRss().toFixed(0)} MB [target < 300 MB]`);
  for (const ws of sockets) ws.close();
} finally {
  cp.kill('SIGTERM');
}
