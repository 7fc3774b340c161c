import type { Logger } from 'pino';
import type { AgentMessage, JournaledData } from '@pressluft/shared';
import { Journal } from './journal.ts';

export type Send = (message: AgentMessage) => boolean;

/**
 * Delivers journaled events: at-least-once and in order per attempt. While a connection is
 * attached, every event after the last one sent on it goes out; a new connection starts again
 * after the last acknowledged seq, so a dropped socket loses nothing.
 */
export class Outbox {
  private readonly journals = new Map<string, Journal>();
  private send: Send | null = null;
  /** Highest seq sent per attempt on the current connection. */
  private readonly sent = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** Loads the journals a previous run left. */
  async load(): Promise<Journal[]> {
    const loaded = await Journal.loadAll(this.dir);
    for (const journal of loaded) this.journals.set(journal.key, journal);
    return loaded;
  }

  async open(jobId: string, attempt: number): Promise<Journal> {
    const journal = await Journal.create(this.dir, jobId, attempt);
    this.journals.set(journal.key, journal);
    return journal;
  }

  get(jobId: string, attempt: number): Journal | undefined {
    return this.journals.get(`${jobId}.${attempt}`);
  }

  list(): Journal[] {
    return [...this.journals.values()];
  }

  /** Journals, then sends, one event. Resolves once it is on disk (and handed to the socket if attached). */
  async emit(journal: Journal, data: JournaledData): Promise<void> {
    try {
      await journal.append(data);
    } catch (error) {
      this.log.error({ err: error, jobId: journal.jobId, attempt: journal.attempt }, 'journal write failed');
    }
    this.flush(journal);
  }

  /** A connection got its hello_ack: resend everything unacknowledged, then stream. */
  attach(send: Send): void {
    this.send = send;
    this.sent.clear();
    for (const journal of this.journals.values()) this.flush(journal);
  }

  detach(): void {
    this.send = null;
    this.sent.clear();
  }

  flush(journal: Journal): void {
    if (!this.send || journal.removed) return;
    let last = Math.max(this.sent.get(journal.key) ?? 0, journal.ackedSeq);
    for (const event of journal.unacked()) {
      if (event.seq <= last) continue;
      if (!this.send(event)) break;
      last = event.seq;
    }
    this.sent.set(journal.key, last);
  }

  /** Applies an event_ack; returns the journal, or undefined for an unknown attempt. */
  async ack(jobId: string, attempt: number, seq: number): Promise<Journal | undefined> {
    const journal = this.get(jobId, attempt);
    if (!journal) return undefined;
    await journal.ack(seq);
    if (journal.settled) await this.drop(journal);
    return journal;
  }

  async drop(journal: Journal): Promise<void> {
    this.journals.delete(journal.key);
    this.sent.delete(journal.key);
    await journal.remove();
  }

  async close(): Promise<void> {
    this.detach();
    await Promise.all([...this.journals.values()].map((journal) => journal.close()));
  }
}
