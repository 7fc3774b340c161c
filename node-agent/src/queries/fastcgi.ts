import net from 'node:net';

// A minimal FastCGI client (responder role, one request per connection) for an environment's
// PHP-FPM pool socket. The agent talks to the pool directly, never through nginx: so the PHP
// runs as the site's user under its pool's limits, and only root (which owns /run/php) can
// send it parameters nginx never sets.

const VERSION = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const RESPONDER = 1;
const REQUEST_ID = 1;
const MAX_CONTENT = 65535;
/** A pool's answer to a query is a line of JSON; anything far bigger is not one. */
const MAX_STDOUT = 1024 * 1024;

export interface FastCgiResponse {
  status: number;
  body: string;
}

/** The pool could not be reached, broke the protocol, or did not answer within the deadline. */
export class FastCgiError extends Error {
  constructor(message: string, readonly timedOut = false) {
    super(message);
  }
}

function record(type: number, content: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(REQUEST_ID, 2);
  header.writeUInt16BE(content.length, 4);
  return Buffer.concat([header, content]);
}

/** A stream's records, ending with the empty record that closes it. */
function stream(type: number, data: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let i = 0; i < data.length; i += MAX_CONTENT) records.push(record(type, data.subarray(i, i + MAX_CONTENT)));
  records.push(record(type));
  return records;
}

function nameValueLength(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

export function encodeParams(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(params)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(nameValueLength(n.length), nameValueLength(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/** The status from a CGI response head (`Status: 403 Forbidden`); 200 without one. */
function parseResponse(stdout: Buffer): FastCgiResponse {
  const text = stdout.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  let status = 200;
  for (const line of head.split('\r\n')) {
    const match = /^status:\s*(\d{3})/i.exec(line);
    if (match) status = Number(match[1]);
  }
  return { status, body };
}

/** Sends one request to the pool at `socketPath` and resolves with its status and body. */
export function fastcgiRequest(socketPath: string, params: Record<string, string>, body: Buffer, timeoutMs: number): Promise<FastCgiResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: socketPath });
    let pending = Buffer.alloc(0);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let settled = false;
    const finish = (error: FastCgiError | null, response?: FastCgiResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    // PHP-FPM goes on with a request whose client left; the deadline only bounds our wait.
    const timer = setTimeout(() => finish(new FastCgiError(`no answer from the PHP-FPM pool within ${timeoutMs} ms`, true)), timeoutMs);

    socket.on('connect', () => {
      const begin = Buffer.alloc(8);
      begin.writeUInt16BE(RESPONDER, 0);
      const all = { ...params, CONTENT_LENGTH: String(body.length) };
      socket.write(Buffer.concat([record(BEGIN_REQUEST, begin), ...stream(PARAMS, encodeParams(all)), ...stream(STDIN, body)]));
    });
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const type = pending.readUInt8(1);
        const length = pending.readUInt16BE(4);
        const padding = pending.readUInt8(6);
        if (pending.length < 8 + length + padding) return;
        const content = pending.subarray(8, 8 + length);
        pending = pending.subarray(8 + length + padding);
        if (type === STDOUT) {
          stdoutBytes += content.length;
          if (stdoutBytes > MAX_STDOUT) return finish(new FastCgiError('the PHP-FPM pool answered more than 1 MB'));
          stdout.push(Buffer.from(content));
        } else if (type === END_REQUEST) {
          return finish(null, parseResponse(Buffer.concat(stdout)));
        }
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish(new FastCgiError(error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? `the PHP-FPM pool is not listening (${error.code})`
        : `the PHP-FPM pool connection failed: ${error.message}`));
    });
    socket.on('close', () => finish(new FastCgiError('the PHP-FPM pool closed the connection before it answered')));
  });
}
