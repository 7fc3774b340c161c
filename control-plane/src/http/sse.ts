import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiFailure } from './api-error.ts';

const HEARTBEAT_MS = 15_000;
/** How long a dropped slow client gets to take its last bytes before the socket is destroyed. */
const DROP_GRACE_MS = 2000;

/** An open Server-Sent Events response. */
export interface SseStream {
  send(event: string, data: unknown, id?: number): void;
  end(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

export interface SseLimits {
  /** Open streams in total and per session; one more is a 429. */
  maxStreams: number;
  maxStreamsPerSession: number;
  /** Bytes a stream may have queued in the process (not yet taken by the socket) before it is dropped. */
  maxBufferedBytes: number;
}

/**
 * The open SSE streams, bounded: a new stream over the total or per-session limit is refused
 * with 429, and a client that reads slower than events come (a full socket buffer) is dropped
 * with a final `dropped` event instead of being buffered without end. A dropped client
 * resumes with Last-Event-ID where the stream supports it.
 */
export class SseHub {
  private readonly streams = new Map<SseStream, string>();

  constructor(private readonly limits: SseLimits) {}

  get size(): number {
    return this.streams.size;
  }

  /** Takes over the response and turns it into an SSE stream with `: ping` heartbeats. */
  open(request: FastifyRequest, reply: FastifyReply): SseStream {
    const session = request.sessionId ?? `ip:${request.ip}`;
    const { maxStreams, maxStreamsPerSession, maxBufferedBytes } = this.limits;
    if (this.streams.size >= maxStreams) throw new ApiFailure('rate_limited', `${maxStreams} event streams are open; close one first.`);
    let ofSession = 0;
    for (const owner of this.streams.values()) if (owner === session) ofSession++;
    if (ofSession >= maxStreamsPerSession) throw new ApiFailure('rate_limited', `this session has ${maxStreamsPerSession} event streams open; close one first.`);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const closers: Array<() => void> = [];
    let closed = false;
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      this.streams.delete(stream);
      for (const fn of closers) fn();
    };
    const write = (text: string) => {
      if (closed) return;
      raw.write(text);
      if (raw.writableLength <= maxBufferedBytes) return;
      request.log.warn({ buffered: raw.writableLength, url: request.url }, 'event stream client too slow; dropped');
      finish();
      // The connection goes with the stream: closed once the last bytes are out, or destroyed
      // if the client still does not take them.
      const socket = raw.socket;
      raw.end('event: dropped\ndata: {"reason":"slow_consumer"}\n\n', () => socket?.end());
      setTimeout(() => socket?.destroy(), DROP_GRACE_MS).unref();
    };
    const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
    const stream: SseStream = {
      send(event, data, id) {
        write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end() {
        finish();
        raw.end();
      },
      get closed() {
        return closed;
      },
      onClose(fn) {
        closers.push(fn);
      },
    };
    request.raw.on('close', finish);
    this.streams.set(stream, session);
    write(': connected\n\n');
    return stream;
  }

  /** Ends every stream (they never end on their own), so close() does not wait for clients. */
  endAll(): void {
    for (const stream of [...this.streams.keys()]) stream.end();
  }
}

/** True when the client asked for an event stream. */
export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
