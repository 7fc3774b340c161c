import { afterEach, describe, expect, it } from 'vitest';
import { build, type Built } from '../support/build.ts';
import { connectedAgent, FakeAgent, okResult, reachability, registerSelfNode, step } from '../support/fake-agent.ts';

let built: Built;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await built?.close();
});

interface SseEvent { event: string; id: string | null; data: string }

/** Reads an SSE response, collecting events until `until` says stop or the stream ends. */
async function readSse(url: string, headers: Record<string, string>, until: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<{ events: SseEvent[]; ended: boolean; comments: string[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = false;
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const ev: SseEvent = { event: 'message', id: null, data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line);
          else if (line.startsWith('event: ')) { ev.event = line.slice(7); isEvent = true; }
          else if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('data: ')) ev.data += line.slice(6);
        }
        if (isEvent) events.push(ev);
      }
    }
  } finally {
    clearTimeout(timer);
    if (!ended) controller.abort();
  }
  return { events, ended, comments };
}

describe('job event stream', () => {
  it('replays after a seq, follows live events, then sends end with the final status and closes', async () => {
    built = await build();
    const agent = await connectedAgent(built);
    agents.push(agent);
    const { job_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const dispatch = await agent.next('job_dispatch');
    agent.event(job_id, 1, 1, step('First'));
    await agent.next('event_ack', (m) => m.seq === 1);
    const stored = (await built.api('GET', `/api/jobs/${job_id}/events`)).json() as Array<{ seq: number; type: string }>;
    expect(stored.map((e) => e.type)).toEqual(['state', 'state', 'step']);

    const url = `${built.cp.url}/api/jobs/${job_id}/events?after=1`;
    const streaming = readSse(url, { cookie: built.cookie }, () => false);
    await new Promise((r) => setTimeout(r, 300));
    agent.event(job_id, 1, 2, step('Second'));
    agent.event(job_id, 1, 3, reachability(dispatch.reachability!));
    agent.event(job_id, 1, 4, okResult());
    const { events, ended } = await streaming;
    expect(ended).toBe(true);
    const jobEvents = events.filter((e) => e.event === 'job_event').map((e) => ({ id: Number(e.id), ...JSON.parse(e.data) }));
    expect(jobEvents[0].seq).toBe(2);
    expect(jobEvents.map((e) => e.id)).toEqual(jobEvents.map((e) => e.seq));
    expect(jobEvents.map((e) => e.type)).toEqual(['state', 'step', 'step', 'reachability', 'result', 'state']);
    expect(events.at(-1)).toMatchObject({ event: 'end' });
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ status: 'succeeded' });
  });

  it('resumes from Last-Event-ID and ends at once for a finished job', async () => {
    built = await build();
    await registerSelfNode(built);
    const { job_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    expect((await built.api('POST', `/api/jobs/${job_id}/cancel`)).statusCode).toBe(202);
    const all = (await built.api('GET', `/api/jobs/${job_id}/events`)).json() as Array<{ seq: number }>;
    const { events, ended } = await readSse(`${built.cp.url}/api/jobs/${job_id}/events`, { cookie: built.cookie, 'last-event-id': String(all.length - 1) }, () => false);
    expect(ended).toBe(true);
    expect(events.filter((e) => e.event === 'job_event').map((e) => Number(e.id))).toEqual([all.length]);
    expect(JSON.parse(events.at(-1)!.data).status).toBe('cancelled');
  });

  it('requires a session for the stream', async () => {
    built = await build();
    const res = await fetch(`${built.cp.url}/api/events`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(401);
  });
});

describe('change stream', () => {
  it('announces site, environment and job changes as named events', async () => {
    built = await build();
    const agent = await connectedAgent(built);
    agents.push(agent);
    const streaming = readSse(`${built.cp.url}/api/events`, { cookie: built.cookie }, (evs) => evs.some((e) => e.event === 'job') && evs.some((e) => e.event === 'site') && evs.some((e) => e.event === 'environment'));
    await new Promise((r) => setTimeout(r, 300));
    const { site_id } = (await built.api('POST', '/api/sites', { name: 'A', slug: 'a' })).json();
    const { events } = await streaming;
    const site = events.find((e) => e.event === 'site')!;
    expect(JSON.parse(site.data)).toEqual({ type: 'site', id: site_id });
    expect(JSON.parse(events.find((e) => e.event === 'environment')!.data)).toMatchObject({ type: 'environment', site_id });
  });

  it('ends open streams when the control plane closes', async () => {
    built = await build();
    const streaming = readSse(`${built.cp.url}/api/events`, { cookie: built.cookie }, () => false, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await built.close();
    const { ended } = await streaming;
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
