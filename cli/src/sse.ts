/** One server-sent event as dispatched by the parser (WHATWG event-stream rules). */
export interface SseEvent {
  event: string;
  data: string;
  /** The last `id:` seen so far in the stream (it persists across events), or null. */
  id: string | null;
}

/**
 * Incremental event-stream parser: feed it raw bytes in chunks split anywhere (inside a
 * line, between `\r` and `\n`, inside a multi-byte character) and it returns whole events.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** A chunk ended in `\r`: a `\n` at the start of the next one belongs to the same line end. */
  private pendingCr = false;
  private eventType = '';
  private dataLines: string[] = [];
  private lastId: string | null = null;
  private started = false;

  feed(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;

    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone trailing `\r` may be the first half of `\r\n`; treat it as a line end now and
      // swallow the `\n` if it arrives first in the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    return events;
  }

  private processLine(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event': this.eventType = value; break;
      case 'data': this.dataLines.push(value); break;
      case 'id': if (!value.includes('\0')) this.lastId = value; break;
      default: break; // `retry` and unknown fields: our client keeps its own reconnect delay
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const hasData = this.dataLines.length > 0;
    const event: SseEvent = { event: this.eventType || 'message', data: this.dataLines.join('\n'), id: this.lastId };
    this.eventType = '';
    this.dataLines = [];
    return hasData ? event : null;
  }
}
