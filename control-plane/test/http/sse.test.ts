import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build, waitFor, ADMIN, type Built } from '../support/build.ts';

let built: Built;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await built?.close();
});

/** Opens GET /api/events on a raw socket and resolves once the status line came; `chunks` keeps what was read. */
async function openStream(b: Built, headers: Record<string, string>): Promise<{ socket: net.Socket; status: number; text: () => string; ended: Promise<void> }> {
  const { hostname, port } = new URL(b.cp.url);
  const socket = net.connect(Number(port), hostname);
  sockets.push(socket);
  const lines = ['GET /api/events HTTP/1.1', `host: ${hostname}`, 'accept: text/event-stream', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let text = '';
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const status = await new Promise<number>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    socket.once('error', reject);
  });
  return { socket, status, text: () => text, ended };
}

async function bearer(b: Built): Promise<string> {
  const { token } = (await b.cp.app.inject({ method: 'POST', url: '/api/login', payload: { ...ADMIN, issue_token: true } })).json();
  return `Bearer ${token}`;
}

describe('SSE limits', () => {
  it('answers 429 rate_limited past the per-session limit, still serves another session, and frees the slot on close', async () => {
    built = await build({ config: { sseMaxStreamsPerSession: 2, sseMaxStreams: 3 } });
    const first = await openStream(built, { cookie: built.cookie });
    const second = await openStream(built, { cookie: built.cookie });
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openStream(built, { cookie: built.cookie });
    expect(third.status).toBe(429);
    expect(third.text()).toContain('"rate_limited"');

    const other = await bearer(built);
    expect((await openStream(built, { authorization: other })).status).toBe(200);
    // Three open in total now: the limit holds for a fresh session too.
    const overTotal = await openStream(built, { authorization: await bearer(built) });
    expect(overTotal.status).toBe(429);

    first.socket.destroy();
    await waitFor(() => built.cp.app.sseHub.size === 2, 'the closed stream to leave the hub');
    expect((await openStream(built, { cookie: built.cookie })).status).toBe(200);
  });

  it('drops a client that stops reading once its queue passes the bound, with a final dropped event, instead of buffering', async () => {
    const bound = 64 * 1024;
    built = await build({ config: { sseMaxBufferedBytes: bound } });
    const stalled = await openStream(built, { cookie: built.cookie });
    expect(stalled.status).toBe(200);
    stalled.socket.pause();
    let published = 0;
    // Publish until the hub lets go of the stream; the kernel's socket buffers take some megabytes first.
    while (built.cp.app.sseHub.size > 0 && published < 2_000_000) {
      for (let i = 0; i < 5000; i++) built.ctx.bus.publish([{ type: 'site', id: `00000000-0000-4000-8000-${String(published++).padStart(12, '0')}` }]);
      await new Promise((r) => setImmediate(r));
    }
    expect(built.cp.app.sseHub.size).toBe(0);
    stalled.socket.resume();
    await stalled.ended;
    // The dropped event is the last thing on the wire (then the chunked terminator), and the connection closed.
    expect(stalled.text()).toMatch(/event: dropped\ndata: \{"reason":"slow_consumer"\}\n\n\r\n0\r\n\r\n$/);
    // A reading client is unaffected by the same volume.
    const reading = await openStream(built, { cookie: built.cookie });
    // The same volume in bursts a reader can take between turns of the event loop.
    for (let i = 0; i < 20_000; i++) {
      built.ctx.bus.publish([{ type: 'site', id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }]);
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => reading.text().includes('000000019999'), 'the reading client to get every event');
    expect(built.cp.app.sseHub.size).toBe(1);
  });
});
