import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiConnectionError, ApiRequestError, type JobStreamItem } from '../src/api-client.ts';
import { ADMIN, JOB_ID, makeJob, startFakeApi, stepEvent } from './helpers/fake-api.ts';

const EVENTS = [1, 2, 3, 4, 5].map((seq) => stepEvent(seq, `Step ${seq}`, 'ok'));
let api: Awaited<ReturnType<typeof startFakeApi>> | null = null;

afterEach(async () => {
  await api?.close();
  api = null;
});

async function collect(stream: AsyncGenerator<JobStreamItem>): Promise<JobStreamItem[]> {
  const items: JobStreamItem[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('ApiClient', () => {
  it('sends the session cookie from the login on later requests and drops it on logout', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const client = new ApiClient({ baseUrl: `${api.url}/` });
    await client.login(ADMIN.email, ADMIN.password);
    const sites = await client.listSites();
    expect(sites.map((s) => s.slug)).toEqual(['acme']);
    expect(api.requests.at(-1)?.cookie).toMatch(/^session_token=tok\d+$/);
    await client.logout();
    expect(api.sessions.size).toBe(0);
  });

  it('turns an error answer into an ApiRequestError with the registry code and message', async () => {
    api = await startFakeApi({ events: [], finalJob: makeJob() });
    const client = new ApiClient({ baseUrl: api.url });
    const badLogin = await client.login(ADMIN.email, 'wrong').catch((e: unknown) => e);
    expect(badLogin).toBeInstanceOf(ApiRequestError);
    expect(badLogin).toMatchObject({ status: 401, code: 'unauthorized', message: 'wrong email or password' });
    await client.login(ADMIN.email, ADMIN.password);
    await expect(client.createSite({ name: 'X', slug: 'taken' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
  });

  it('reports an unreachable control plane as an ApiConnectionError naming the URL', async () => {
    const client = new ApiClient({ baseUrl: 'http://127.0.0.1:9' });
    const err = await client.listSites().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiConnectionError);
    expect((err as Error).message).toContain('http://127.0.0.1:9');
  });

  it('streams job events over SSE and ends with the end status', async () => {
    api = await startFakeApi({ events: EVENTS, finalJob: makeJob() });
    const client = new ApiClient({ baseUrl: api.url });
    await client.login(ADMIN.email, ADMIN.password);
    const items = await collect(client.streamJobEvents(JOB_ID));
    expect(items.filter((i) => i.kind === 'event').map((i) => i.event!.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(items.at(-1)).toEqual({ kind: 'end', status: 'succeeded' });
    expect(api.requests.find((r) => r.url.includes('/events'))?.accept).toBe('text/event-stream');
  });

  it('resumes a dropped stream after the last received seq, with no event lost or repeated', async () => {
    api = await startFakeApi({ events: EVENTS, finalJob: makeJob(), dropAfter: 2 });
    const client = new ApiClient({ baseUrl: api.url, reconnectDelayMs: 10 });
    await client.login(ADMIN.email, ADMIN.password);
    const items = await collect(client.streamJobEvents(JOB_ID));
    expect(items.filter((i) => i.kind === 'event').map((i) => i.event!.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(api.sseConnections).toBe(2);
  });

  it('asks for the events after the last seq it received when it re-opens a broken stream', async () => {
    const enc = new TextEncoder();
    const frame = (seq: number) => `id: ${seq}\nevent: job_event\ndata: ${JSON.stringify(stepEvent(seq, `Step ${seq}`, 'ok'))}\n\n`;
    const urls: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      urls.push(String(input));
      const first = urls.length === 1;
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (first) {
            // Two events, the third cut in half, then the connection breaks.
            if (pulls++ === 0) controller.enqueue(enc.encode(frame(1) + frame(2) + frame(3).slice(0, 20)));
            else controller.error(new TypeError('terminated'));
          } else {
            controller.enqueue(enc.encode(frame(3) + 'event: end\ndata: {"status":"failed"}\n\n'));
            controller.close();
          }
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as typeof fetch;
    const client = new ApiClient({ baseUrl: 'http://cp.test', fetch: fakeFetch, reconnectDelayMs: 1 });
    const items = await collect(client.streamJobEvents(JOB_ID));
    expect(items.filter((i) => i.kind === 'event').map((i) => i.event!.seq)).toEqual([1, 2, 3]);
    expect(items.at(-1)).toEqual({ kind: 'end', status: 'failed' });
    expect(urls).toEqual([`http://cp.test/api/jobs/${JOB_ID}/events?after=0`, `http://cp.test/api/jobs/${JOB_ID}/events?after=2`]);
  });

  it('starts the stream after a given seq', async () => {
    api = await startFakeApi({ events: EVENTS, finalJob: makeJob() });
    const client = new ApiClient({ baseUrl: api.url });
    await client.login(ADMIN.email, ADMIN.password);
    const items = await collect(client.streamJobEvents(JOB_ID, { after: 3 }));
    expect(items.filter((i) => i.kind === 'event').map((i) => i.event!.seq)).toEqual([4, 5]);
  });

  it('stops streaming when its signal is aborted', async () => {
    api = await startFakeApi({ events: EVENTS, finalJob: makeJob(), eventDelayMs: 200 });
    const client = new ApiClient({ baseUrl: api.url });
    await client.login(ADMIN.email, ADMIN.password);
    const controller = new AbortController();
    const seqs: number[] = [];
    for await (const item of client.streamJobEvents(JOB_ID, { signal: controller.signal })) {
      if (item.event) seqs.push(item.event.seq);
      controller.abort();
    }
    expect(seqs).toEqual([1]);
  });
});
