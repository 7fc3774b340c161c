import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/sse.ts';

const STREAM =
  ': ping\r\n\r\n' +
  'id: 1\r\nevent: job_event\r\ndata: {"seq":1,"name":"Création ✓"}\r\n\r\n' +
  'id: 2\nevent: job_event\ndata: line one\ndata: line two\n\n' +
  'data:no-space\r\r' +
  'event: end\ndata: {"status":"succeeded"}\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'job_event', data: '{"seq":1,"name":"Création ✓"}', id: '1' },
  { event: 'job_event', data: 'line one\nline two', id: '2' },
  { event: 'message', data: 'no-space', id: '2' },
  { event: 'end', data: '{"status":"succeeded"}', id: '2' },
];

function parseInChunks(bytes: Uint8Array, cuts: number[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...parser.feed(bytes.subarray(start, cut)));
    start = cut;
  }
  return events;
}

describe('SseParser', () => {
  it('parses a stream fed in one piece', () => {
    expect(parseInChunks(new TextEncoder().encode(STREAM), [])).toEqual(EXPECTED);
  });

  it('gives the same events whatever single byte position the stream is split at', () => {
    const bytes = new TextEncoder().encode(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parseInChunks(bytes, [cut]), `split at byte ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when fed one byte at a time (multi-byte characters and CRLF split)', () => {
    const bytes = new TextEncoder().encode(STREAM);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(parseInChunks(bytes, cuts)).toEqual(EXPECTED);
  });

  it('ignores comments and does not dispatch an event without data', () => {
    const parser = new SseParser();
    expect(parser.feed(': heartbeat\n\nevent: lonely\n\n')).toEqual([]);
    expect(parser.feed('data: x\n')).toEqual([]); // not finished until the blank line
    expect(parser.feed('\n')).toEqual([{ event: 'message', data: 'x', id: null }]);
  });

  it('strips a leading byte order mark', () => {
    const parser = new SseParser();
    expect(parser.feed('\ufeffdata: a\n\n')).toEqual([{ event: 'message', data: 'a', id: null }]);
  });
});
