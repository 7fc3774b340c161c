import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { ControlPlaneMessage, NodeQueryResult } from '@pressluft/shared';

/** One authenticated agent connection. */
export class AgentSession {
  /** Set after a valid hello was answered; only ready sessions get jobs. */
  ready = false;
  closed = false;
  lastMessageAt = Date.now();
  lastTouchAt = 0;
  violations = 0;
  /** Running jobs whose lease this connection keeps alive (dispatched here, or reported running in hello). */
  readonly activeJobs = new Set<string>();
  /** Node queries sent on this connection and not answered yet, by request id. */
  readonly pendingQueries = new Map<string, (result: NodeQueryResult['result'] | null) => void>();

  constructor(readonly nodeId: string, readonly socket: WebSocket, readonly log: Logger) {}

  send(message: ControlPlaneMessage): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(message));
  }

  /** Settles every pending query with `null` (no answer will come on this connection). */
  dropQueries(): void {
    for (const settle of [...this.pendingQueries.values()]) settle(null);
    this.pendingQueries.clear();
  }

  close(code: number, reason: string): void {
    // Messages already queued behind this one are not handled any more.
    this.closed = true;
    this.dropQueries();
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}

/** The live agent connections, one per node: a newer one supersedes the older. */
export class AgentSessions {
  private readonly byNode = new Map<string, AgentSession>();
  /** Set on shutdown: late messages are ignored instead of hitting a closing database. */
  stopping = false;

  get(nodeId: string): AgentSession | undefined {
    return this.byNode.get(nodeId);
  }

  isConnected(nodeId: string): boolean {
    return this.byNode.get(nodeId)?.ready === true;
  }

  /** Registers `session` and returns the connection it replaces, if any. */
  register(session: AgentSession): AgentSession | undefined {
    const previous = this.byNode.get(session.nodeId);
    this.byNode.set(session.nodeId, session);
    return previous;
  }

  /** Removes `session` only if it is still the current one, so a superseded socket's cleanup cannot unregister its successor. */
  unregister(session: AgentSession): boolean {
    if (this.byNode.get(session.nodeId) !== session) return false;
    this.byNode.delete(session.nodeId);
    return true;
  }

  all(): AgentSession[] {
    return [...this.byNode.values()];
  }

  closeAll(code: number, reason: string): void {
    this.stopping = true;
    for (const session of this.byNode.values()) session.close(code, reason);
  }
}
