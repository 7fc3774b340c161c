import type { FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 15_000;

/** An open Server-Sent Events response. */
export interface SseStream {
  send(event: string, data: unknown, id?: number): void;
  end(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

/** Takes over the response and turns it into an SSE stream with `: ping` heartbeats; `openStreams` lets close() end it. */
export function openSse(request: FastifyRequest, reply: FastifyReply, openStreams: Set<SseStream>): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': connected\n\n');
  const closers: Array<() => void> = [];
  let closed = false;
  const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    openStreams.delete(stream);
    for (const fn of closers) fn();
  };
  const stream: SseStream = {
    send(event, data, id) {
      if (closed) return;
      raw.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
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
  openStreams.add(stream);
  return stream;
}

/** True when the client asked for an event stream. */
export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
