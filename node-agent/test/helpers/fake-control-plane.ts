import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentMessage, PROTOCOL_VERSION, type ControlPlaneMessage } from '@pressluft/shared';

type JobEvent = Extract<AgentMessage, { type: 'job_event' }>;
type Hello = Extract<AgentMessage, { type: 'hello' }>;

/**
 * A control plane written for the agent's tests: checks the credential, answers hello, stores
 * job events with dedupe (like the real one) and acknowledges them cumulatively.
 */
export class FakeControlPlane {
  nodeId = 'node-1';
  credential = 'credential-secret-0123456789';
  registrationTokens = new Set<string>();
  heartbeatMs = 1000;
  autoAck = true;
  abandon: { job_id: string; attempt: number }[] = [];
  /** Close code for new connections instead of serving them (e.g. 4003). */
  refuseWith: number | null = null;
  connections = 0;
  readonly messages: { connection: number; message: AgentMessage }[] = [];
  readonly invalid: unknown[] = [];
  readonly hellos: Hello[] = [];
  readonly stored = new Map<string, JobEvent[]>();
  /** Same-connection repeats of a seq (the agent must never do that). */
  readonly repeatsOnOneConnection: string[] = [];
  readonly gaps: string[] = [];
  socket: WebSocket | null = null;
  private readonly server: http.Server | https.Server;
  private readonly wss: WebSocketServer;
  private readonly sentSeqs = new Map<string, number>();

  private constructor(private readonly tls: { cert: Buffer; key: Buffer } | null) {
    this.server = tls ? https.createServer(tls, (req, res) => this.http(req, res)) : http.createServer((req, res) => this.http(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/api/agent/ws' });
    this.wss.on('connection', (ws, req) => this.connection(ws, req));
  }

  /** With `tls`, serves https:// and wss:// instead. */
  static async start(opts: { tls?: { cert: Buffer; key: Buffer } } = {}): Promise<FakeControlPlane> {
    const cp = new FakeControlPlane(opts.tls ?? null);
    await new Promise<void>((resolve) => cp.server.listen(0, '127.0.0.1', resolve));
    return cp;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  events(jobId: string, attempt: number): JobEvent[] {
    return this.stored.get(`${jobId}.${attempt}`) ?? [];
  }

  result(jobId: string, attempt: number) {
    const last = this.events(jobId, attempt).at(-1)?.data;
    return last?.kind === 'result' ? last : undefined;
  }

  received<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.messages.filter((m) => m.message.type === type).map((m) => m.message as Extract<AgentMessage, { type: T }>);
  }

  send(message: ControlPlaneMessage | Record<string, unknown>): void {
    this.socket?.send(JSON.stringify(message));
  }

  /** Drops the current connection the hard way (no close frame). */
  drop(): void {
    this.socket?.terminate();
  }

  ack(jobId: string, attempt: number): void {
    this.send({ type: 'event_ack', job_id: jobId, attempt, seq: this.events(jobId, attempt).length });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    await new Promise((resolve) => this.server.close(resolve));
  }

  private http(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/api/nodes/register') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { token } = JSON.parse(body) as { token: string };
      if (!this.registrationTokens.delete(token)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'unauthorized', message: 'invalid or expired token' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ node_id: this.nodeId, credential: this.credential }));
    });
  }

  private connection(ws: WebSocket, req: http.IncomingMessage): void {
    if (req.headers.authorization !== `Bearer ${this.nodeId}:${this.credential}`) {
      ws.close(4001, 'bad credential');
      return;
    }
    if (this.refuseWith !== null) {
      ws.close(this.refuseWith, 'refused by the test');
      return;
    }
    const connection = ++this.connections;
    if (this.socket) this.socket.close(4002, 'superseded');
    this.socket = ws;
    ws.on('message', (raw) => {
      let json: unknown;
      try {
        json = JSON.parse(raw.toString());
      } catch {
        this.invalid.push(raw.toString());
        return;
      }
      const parsed = AgentMessage.safeParse(json);
      if (!parsed.success) {
        this.invalid.push(json);
        return;
      }
      const message = parsed.data;
      this.messages.push({ connection, message });
      if (message.type === 'hello') {
        this.hellos.push(message);
        if (message.protocol_version !== PROTOCOL_VERSION) ws.close(4003, 'protocol');
        else ws.send(JSON.stringify({ type: 'hello_ack', node_id: this.nodeId, heartbeat_interval_ms: this.heartbeatMs, abandon: this.abandon }));
      }
      if (message.type === 'job_event') this.store(connection, message);
    });
    ws.on('close', () => {
      if (this.socket === ws) this.socket = null;
    });
  }

  private store(connection: number, event: JobEvent): void {
    const key = `${event.job_id}.${event.attempt}`;
    const sentKey = `${connection}:${key}`;
    if ((this.sentSeqs.get(sentKey) ?? 0) >= event.seq) this.repeatsOnOneConnection.push(`${sentKey}:${event.seq}`);
    this.sentSeqs.set(sentKey, event.seq);
    const list = this.stored.get(key) ?? [];
    this.stored.set(key, list);
    if (event.seq === list.length + 1) list.push(event);
    else if (event.seq > list.length + 1) this.gaps.push(`${key}: got ${event.seq} after ${list.length}`);
    if (this.autoAck) this.ack(event.job_id, event.attempt);
  }
}

/** Polls until `fn` returns a truthy value; fails after the deadline. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
