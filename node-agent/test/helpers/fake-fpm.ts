import net from 'node:net';

export type FpmAnswer = { stdout: string } | 'hang' | 'close';

/**
 * A stand-in for a PHP-FPM pool on a unix socket: decodes one FastCGI request per connection
 * (params and stdin) and answers with `handler`'s CGI output, hangs, or hangs up.
 */
export class FakeFpm {
  readonly requests: Array<{ params: Record<string, string>; stdin: Buffer }> = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async listen(socketPath: string, handler: (params: Record<string, string>) => FpmAnswer): Promise<FakeFpm> {
    const server = net.createServer();
    const fpm = new FakeFpm(server);
    server.on('connection', (socket) => fpm.serve(socket, handler));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return fpm;
  }

  private serve(socket: net.Socket, handler: (params: Record<string, string>) => FpmAnswer): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let pending = Buffer.alloc(0);
    let params = Buffer.alloc(0);
    const stdin: Buffer[] = [];
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const type = pending.readUInt8(1);
        const length = pending.readUInt16BE(4);
        const padding = pending.readUInt8(6);
        if (pending.length < 8 + length + padding) return;
        const content = pending.subarray(8, 8 + length);
        pending = pending.subarray(8 + length + padding);
        if (type === 4) params = Buffer.concat([params, content]);
        if (type === 5 && length > 0) stdin.push(Buffer.from(content));
        if (type === 5 && length === 0) {
          const decoded = decodeParams(params);
          this.requests.push({ params: decoded, stdin: Buffer.concat(stdin) });
          const answer = handler(decoded);
          if (answer === 'close') socket.destroy();
          else if (answer !== 'hang') socket.end(Buffer.concat([...records(6, Buffer.from(answer.stdout)), record(3, Buffer.alloc(8))]));
        }
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function record(type: number, content: Buffer, padding = 0): Buffer {
  const header = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 0xff, padding, 0]);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

/** Split in small padded records, as PHP-FPM may send them. */
function records(type: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += 7) out.push(record(type, data.subarray(i, i + 7), 3));
  out.push(record(type, Buffer.alloc(0)));
  return out;
}

function decodeParams(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const length = () => {
    if (data[i] < 128) return data[i++];
    const n = data.readUInt32BE(i) & 0x7fffffff;
    i += 4;
    return n;
  };
  while (i < data.length) {
    const n = length();
    const v = length();
    out[data.subarray(i, i + n).toString()] = data.subarray(i + n, i + n + v).toString();
    i += n + v;
  }
  return out;
}
