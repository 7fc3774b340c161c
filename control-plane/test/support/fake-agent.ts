import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ControlPlaneMessage, type JournaledData } from '@pressluft/shared';
import type { Built } from './build.ts';

/** A scripted agent speaking the real protocol over a real websocket. */
export class FakeAgent {
  readonly received: ControlPlaneMessage[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket, readonly nodeId: string) {
    ws.on('message', (data) => this.received.push(JSON.parse(data.toString()) as ControlPlaneMessage));
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      resolve(code);
    }));
  }

  static async connect(url: string, nodeId: string, credential: string): Promise<FakeAgent> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/agent/ws`, { headers: { authorization: `Bearer ${nodeId}:${credential}` } });
    const agent = new FakeAgent(ws, nodeId);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('close', () => resolve());
    });
    return agent;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  hello(jobs: Array<{ job_id: string; attempt: number; running: boolean }> = [], protocolVersion = PROTOCOL_VERSION): void {
    this.send({ type: 'hello', protocol_version: protocolVersion, node_id: this.nodeId, agent_version: '0.1.0-test', hostname: 'fake-host', os: 'Debian 12', public_ip: null, jobs });
  }

  /** Waits for a message of `type` (optionally matching `where`) that arrived at or after index `from`. */
  async next<T extends ControlPlaneMessage['type']>(type: T, where: (m: Extract<ControlPlaneMessage, { type: T }>) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<Extract<ControlPlaneMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.received.slice(from).find((m) => m.type === type && where(m as Extract<ControlPlaneMessage, { type: T }>));
      if (hit) return hit as Extract<ControlPlaneMessage, { type: T }>;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode}) while waiting for ${type}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${type}; got ${JSON.stringify(this.received.map((m) => m.type))}`);
  }

  event(jobId: string, attempt: number, seq: number, data: JournaledData): void {
    this.send({ type: 'job_event', job_id: jobId, attempt, seq, data });
  }

  close(): void {
    this.ws.close();
  }
}

const at = () => new Date().toISOString();

export function step(name: string, status: 'started' | 'ok' | 'changed' | 'failed' = 'ok'): JournaledData {
  return { kind: 'step', name, status, duration_ms: status === 'started' ? null : 12, message: null, at: at() };
}

export function okResult(): JournaledData {
  return { kind: 'result', ok: true, exit_code: 0, error_code: null, error_message: null, failed_step: null, output_tail: 'PLAY RECAP ok', duration_ms: 100, at: at() };
}

export function failResult(code: string, failedStep = 'Install WordPress', tail = 'TASK Install WordPress: failed'): JournaledData {
  return { kind: 'result', ok: false, exit_code: 2, error_code: code, error_message: `${failedStep} failed`, failed_step: failedStep, output_tail: tail, duration_ms: 100, at: at() };
}

export function reachability(expect: { environment_id: string; host: string; preview_url: string }, ok = true, httpStatus = 200): JournaledData {
  return {
    kind: 'reachability', ok, url: expect.preview_url, host: expect.host, environment_id: expect.environment_id, http_status: httpStatus,
    header_environment_id: expect.environment_id, home_url: expect.preview_url, is_wordpress: ok, latency_ms: 5, attempts: 1,
    reason: ok ? null : 'answered 502', body_excerpt: ok ? null : 'Bad Gateway', at: at(),
  };
}

/** Creates (or reuses) the self-node, provisions nothing, registers it and returns its credential. */
export async function registerSelfNode(built: Built, httpPort = 8080): Promise<{ nodeId: string; credential: string }> {
  const { nodeId, registrationToken } = await built.cp.ensureSelfNode({ hostname: 'test-host', httpPort, needToken: true });
  const res = await built.cp.app.inject({ method: 'POST', url: '/api/nodes/register', payload: { token: registrationToken, hostname: 'test-host', agent_version: '0.1.0-test' } });
  if (res.statusCode !== 200) throw new Error(`register failed: ${res.body}`);
  return { nodeId, credential: res.json().credential as string };
}

/** Marks a node active as if provisioned (tests of site jobs skip node_provision). */
export async function markProvisioned(built: Built, nodeId: string): Promise<void> {
  const iso = new Date().toISOString();
  await built.ctx.db.updateTable('nodes').set({ status: 'active', provisioned_at: iso }).where('id', '=', nodeId).execute();
}

/** A connected, provisioned self-node with a fake agent that said hello. */
export async function connectedAgent(built: Built): Promise<FakeAgent> {
  const { nodeId, credential } = await registerSelfNode(built);
  await markProvisioned(built, nodeId);
  const agent = await FakeAgent.connect(built.cp.url, nodeId, credential);
  agent.hello();
  await agent.next('hello_ack');
  return agent;
}
