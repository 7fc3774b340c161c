import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { CLOSE_CODES, ControlPlaneMessage, MAX_MESSAGE_BYTES, type AgentMessage } from '@pressluft/shared';
import { z } from 'zod';
import { BACKOFF_BASE_MS, backoffCapMs, fullJitterDelay } from './backoff.ts';
import { AgentFatalError } from './errors.ts';
import { explainTlsError } from './transport.ts';

type HelloAck = Extract<ControlPlaneMessage, { type: 'hello_ack' }>;

export interface ConnectionOptions {
  /** ws(s)://host:port/api/agent/ws */
  wsUrl: string;
  authorization: string;
  /** PEM CA certificates to trust instead of the system's (wss:// only). */
  ca?: Buffer;
  log: Logger;
  hello: () => AgentMessage;
  /** A good hello_ack arrived on a new connection. */
  onReady: (ack: HelloAck) => void;
  /** Any other valid message. */
  onMessage: (message: ControlPlaneMessage) => void;
  /** A connection that had its hello_ack closed. */
  onDown: () => void;
  helloTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

interface SessionEnd {
  code: number;
  reason: string;
  acked: boolean;
  error: string | null;
  /** The TLS failure explained for the operator, when that is why the connection failed. */
  tlsProblem: string | null;
}

export const BAD_CREDENTIAL_MESSAGE = "the control plane rejected this node's credential; re-register the node";

/**
 * The agent's one websocket: connect, hello, wait for the ack with a timeout, heartbeat; on
 * close reconnect with full-jitter backoff that resets after a good ack. A bad credential or a
 * protocol mismatch is fatal: `done` rejects with AgentFatalError.
 */
export class AgentConnection {
  readonly done: Promise<void>;
  readonly connected: Promise<void>;
  private resolveConnected!: () => void;
  private rejectConnected!: (error: Error) => void;
  private ws: WebSocket | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private everReady = false;
  private down = false;
  private supersededLogged = false;
  private lastTlsProblem: string | null = null;

  constructor(private readonly opts: ConnectionOptions) {
    this.connected = new Promise((resolve, reject) => {
      this.resolveConnected = resolve;
      this.rejectConnected = reject;
    });
    this.connected.catch(() => undefined);
    this.done = this.loop();
    this.done.catch((error: Error) => this.rejectConnected(error));
  }

  /** Sends on the open socket; false when there is none (the outbox resends after the next ack). */
  send(message: AgentMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const ws = this.ws;
    if (ws) {
      ws.close(1000, 'agent stopping');
      const force = setTimeout(() => ws.terminate(), 2000);
      force.unref();
    }
    await this.done.catch(() => undefined);
    this.rejectConnected(new AgentFatalError('the agent stopped before it connected'));
  }

  private async loop(): Promise<void> {
    const cap = this.opts.backoffCapMs ?? backoffCapMs();
    const base = this.opts.backoffBaseMs ?? BACKOFF_BASE_MS;
    let attempt = 0;
    while (!this.stopped) {
      const end = await this.session();
      if (this.stopped) return;
      if (end.acked) attempt = 0;
      if (end.code === CLOSE_CODES.BAD_CREDENTIAL || /Unexpected server response: 40[13]\b/.test(end.error ?? '')) {
        this.opts.log.error({ code: end.code }, BAD_CREDENTIAL_MESSAGE);
        throw new AgentFatalError(BAD_CREDENTIAL_MESSAGE);
      }
      if (end.code === CLOSE_CODES.PROTOCOL_MISMATCH) {
        const message = `the control plane speaks another protocol version (${end.reason || 'close 4003'}); update the agent`;
        this.opts.log.error({ code: end.code }, message);
        throw new AgentFatalError(message);
      }
      // Not fatal: a certificate can be fixed on the control plane while the agent keeps trying.
      if (end.tlsProblem && end.tlsProblem !== this.lastTlsProblem) this.opts.log.error(end.tlsProblem);
      this.lastTlsProblem = end.tlsProblem;
      if (end.code === CLOSE_CODES.SUPERSEDED && !this.supersededLogged) {
        this.supersededLogged = true;
        this.opts.log.warn('a newer connection of this node replaced this one; reconnecting');
      }
      if (end.acked || !this.down) {
        if (!this.down) this.opts.log.warn({ code: end.code, reason: end.reason || undefined, error: end.error ?? undefined }, 'disconnected');
        this.down = true;
      } else {
        this.opts.log.debug({ code: end.code, error: end.error ?? undefined }, 'connection attempt failed');
      }
      await this.pause(fullJitterDelay(attempt++, base, cap));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private session(): Promise<SessionEnd> {
    const log = this.opts.log;
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.opts.wsUrl, {
          headers: { Authorization: this.opts.authorization },
          maxPayload: MAX_MESSAGE_BYTES,
          handshakeTimeout: 10_000,
          ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        });
      } catch (error) {
        this.stopped = true;
        throw new AgentFatalError(`cannot connect to ${this.opts.wsUrl}: ${(error as Error).message}`);
      }
      this.ws = ws;
      let acked = false;
      let error: string | null = null;
      let tlsProblem: string | null = null;
      let helloTimer: NodeJS.Timeout | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      let lastHeard = Date.now();

      ws.on('open', () => {
        lastHeard = Date.now();
        try {
          ws.send(JSON.stringify(this.opts.hello()));
        } catch (err) {
          log.error({ err }, 'could not send hello');
          ws.terminate();
          return;
        }
        helloTimer = setTimeout(() => {
          log.warn('no hello_ack within the timeout; reconnecting');
          ws.terminate();
        }, this.opts.helloTimeoutMs ?? 10_000);
      });
      ws.on('pong', () => (lastHeard = Date.now()));
      ws.on('message', (raw: RawData) => {
        lastHeard = Date.now();
        const message = this.parse(ws, raw);
        if (!message) return;
        if (message.type === 'hello_ack') {
          if (acked) return;
          acked = true;
          clearTimeout(helloTimer);
          const interval = message.heartbeat_interval_ms;
          heartbeat = setInterval(() => {
            // A control plane silent for three intervals (no pong, no message) is gone.
            if (Date.now() - lastHeard > Math.max(3 * interval, 15_000)) {
              log.warn('the control plane stopped answering; reconnecting');
              ws.terminate();
              return;
            }
            this.send({ type: 'heartbeat', at: new Date().toISOString() });
            ws.ping();
          }, interval);
          if (!this.everReady) log.info({ nodeId: message.node_id }, 'connected');
          else if (this.down) log.info({ nodeId: message.node_id }, 'reconnected');
          this.everReady = true;
          this.down = false;
          this.resolveConnected();
          try {
            this.opts.onReady(message);
          } catch (err) {
            log.error({ err }, 'hello_ack handler failed');
          }
          return;
        }
        if (message.type === 'error') {
          log.warn({ code: message.code, message: message.message }, 'the control plane reported an error');
          return;
        }
        try {
          this.opts.onMessage(message);
        } catch (err) {
          log.error({ err, type: message.type }, 'message handler failed');
        }
      });
      ws.on('error', (err) => {
        error = err.message;
        tlsProblem = explainTlsError(err, this.opts.wsUrl, this.opts.ca !== undefined);
      });
      ws.on('close', (code, reason) => {
        clearTimeout(helloTimer);
        clearInterval(heartbeat);
        if (this.ws === ws) this.ws = null;
        if (acked) {
          try {
            this.opts.onDown();
          } catch (err) {
            log.error({ err }, 'disconnect handler failed');
          }
        }
        resolve({ code, reason: reason.toString('utf8'), acked, error, tlsProblem });
      });
    });
  }

  /** Parses and validates a frame; an invalid one is answered with an error and dropped. */
  private parse(ws: WebSocket, raw: RawData): ControlPlaneMessage | null {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(raw as Buffer[]).toString('utf8'));
    } catch {
      this.opts.log.warn('received a frame that is not JSON');
      this.reply(ws, 'not JSON');
      return null;
    }
    const parsed = ControlPlaneMessage.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      this.opts.log.warn({ type: typeof type === 'string' ? type.slice(0, 50) : undefined }, 'received an invalid message');
      this.reply(ws, `invalid message: ${z.prettifyError(parsed.error).slice(0, 500)}`);
      return null;
    }
    return parsed.data;
  }

  private reply(ws: WebSocket, message: string): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message }));
  }
}
