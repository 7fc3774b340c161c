import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveMessage } from '../src/live.ts';

// The change stream's lifecycle with a scripted EventSource and fetch: the refetch-on-open
// invariant, and what happens when the stream is refused.

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly handlers = new Map<string, (event: { data: string }) => void>();
  constructor(readonly url: string) { FakeEventSource.all.push(this); }
  addEventListener(type: string, fn: (event: { data: string }) => void) { this.handlers.set(type, fn); }
  close() { this.readyState = FakeEventSource.CLOSED; }
  open() { this.readyState = FakeEventSource.OPEN; this.onopen?.(); }
  send(type: string, data: unknown) { this.handlers.get(type)?.({ data: JSON.stringify(data) }); }
  /** A network drop: the browser reconnects by itself. */
  drop() { this.readyState = FakeEventSource.CONNECTING; this.onerror?.(); }
  /** An answer that is not a stream (401): the browser gives up. */
  refuse() { this.readyState = FakeEventSource.CLOSED; this.onerror?.(); }
}

let meStatus = 200;
const meCalls: string[] = [];

async function loadLive() {
  vi.resetModules();
  return import('../src/live.ts');
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.all = [];
  meStatus = 200;
  meCalls.length = 0;
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal('fetch', async (path: string) => {
    meCalls.push(path);
    return new Response(JSON.stringify(meStatus === 200 ? { user: { id: 'u', email: 'a@b.c' } } : { code: 'unauthorized', message: 'Log in first.' }), { status: meStatus });
  });
  const location = { pathname: '/sites/x', search: '' };
  vi.stubGlobal('location', location);
  vi.stubGlobal('history', { pushState: (_s: unknown, _t: string, to: string) => (location.pathname = to), replaceState: (_s: unknown, _t: string, to: string) => (location.pathname = to) });
  vi.stubGlobal('window', { dispatchEvent: () => true, scrollTo: () => undefined });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the change stream', () => {
  it('asks for a refetch on every open, the first one included, and passes changes on', async () => {
    const live = await loadLive();
    const seen: LiveMessage[] = [];
    live.onLive((m) => seen.push(m));
    live.startLive();
    live.startLive();
    expect(FakeEventSource.all).toHaveLength(1);
    const es = FakeEventSource.all[0];
    es.open();
    expect(seen).toEqual([{ type: 'resync' }]);
    es.send('site', { type: 'site', id: 's1' });
    es.drop();
    es.open();
    expect(seen).toEqual([{ type: 'resync' }, { type: 'site', id: 's1' }, { type: 'resync' }]);
  });

  it('retries a refused stream with backoff while the session is good, and resyncs when it opens', async () => {
    const live = await loadLive();
    const seen: LiveMessage[] = [];
    live.onLive((m) => seen.push(m));
    live.startLive();
    FakeEventSource.all[0].refuse();
    await vi.advanceTimersByTimeAsync(0);
    expect(meCalls).toEqual(['/api/me']);
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeEventSource.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeEventSource.all).toHaveLength(2);
    FakeEventSource.all[1].refuse();
    await vi.advanceTimersByTimeAsync(1999);
    expect(FakeEventSource.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    FakeEventSource.all[2].open();
    expect(seen).toEqual([{ type: 'resync' }]);
  });

  it('does not retry when the session is gone, and a later login opens it at once', async () => {
    const live = await loadLive();
    live.startLive();
    meStatus = 401;
    FakeEventSource.all[0].refuse();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
    expect(location.pathname).toBe('/login?next=%2Fsites%2Fx');
    live.stopLive();
    live.startLive();
    expect(FakeEventSource.all).toHaveLength(2);
  });

  it('a login while a retry is pending opens the stream now, and a stop cancels late retries', async () => {
    const live = await loadLive();
    live.startLive();
    FakeEventSource.all[0].refuse();
    await vi.advanceTimersByTimeAsync(0);
    live.startLive();
    expect(FakeEventSource.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(2);

    FakeEventSource.all[1].refuse();
    live.stopLive();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(2);
  });
});
