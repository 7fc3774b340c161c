import { mkdir, open, readFile, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JobEvent, type JournaledData } from '@pressluft/shared';

export type JobEventMessage = z.infer<typeof JobEvent>;

/** Job ids become file names: only these characters are accepted. */
export const SAFE_JOB_ID = /^[A-Za-z0-9_-]{1,100}$/;

const FILE_NAME = /^([A-Za-z0-9_-]{1,100})\.(\d+)\.jsonl$/;

const PidRecord = z.object({ pid: z.number().int().positive(), start_time: z.string().nullable() });
export type PidRecord = z.infer<typeof PidRecord>;

/**
 * The durable event log of one job attempt: `<job_id>.<attempt>.jsonl` (one JobEvent per line,
 * fsynced before it is sent), `.ack` (the highest acknowledged seq) and `.pid` (the playbook's
 * process group, to kill it after an agent crash). Events up to the ack are dropped from memory.
 */
export class Journal {
  lastSeq = 0;
  ackedSeq = 0;
  hasResult = false;
  removed = false;
  /** Events after ackedSeq that are on disk (or failed to be written but must still be sent). */
  private pending: JobEventMessage[] = [];
  private chain: Promise<void> = Promise.resolve();
  private handle: FileHandle | null = null;

  private constructor(
    readonly dir: string,
    readonly jobId: string,
    readonly attempt: number,
  ) {}

  get key(): string {
    return `${this.jobId}.${this.attempt}`;
  }

  private file(ext: string): string {
    return path.join(this.dir, `${this.key}.${ext}`);
  }

  /** A new, empty journal for an attempt that starts now. */
  static async create(dir: string, jobId: string, attempt: number): Promise<Journal> {
    if (!SAFE_JOB_ID.test(jobId)) throw new Error(`unsafe job id: ${jobId}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const journal = new Journal(dir, jobId, attempt);
    journal.handle = await open(journal.file('jsonl'), 'a', 0o600);
    return journal;
  }

  /** Every journal left in `dir` (after a restart). A torn last line is ignored. */
  static async loadAll(dir: string): Promise<Journal[]> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const journals: Journal[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const match = FILE_NAME.exec(name);
      if (!match) continue;
      const journal = new Journal(dir, match[1], Number(match[2]));
      const text = await readFile(journal.file('jsonl'), 'utf8');
      const acked = Number((await readFile(journal.file('ack'), 'utf8').catch(() => '0')).trim());
      journal.ackedSeq = Number.isInteger(acked) && acked > 0 ? acked : 0;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        let parsed: ReturnType<typeof JobEvent.safeParse>;
        try {
          parsed = JobEvent.safeParse(JSON.parse(line));
        } catch {
          break;
        }
        if (!parsed.success || parsed.data.seq !== journal.lastSeq + 1) break;
        journal.lastSeq = parsed.data.seq;
        if (parsed.data.data.kind === 'result') journal.hasResult = true;
        if (parsed.data.seq > journal.ackedSeq) journal.pending.push(parsed.data);
      }
      journals.push(journal);
    }
    return journals;
  }

  /** True once the result is written and acknowledged: nothing is left to deliver. */
  get settled(): boolean {
    return this.hasResult && this.ackedSeq >= this.lastSeq;
  }

  get allAcked(): boolean {
    return this.ackedSeq >= this.lastSeq;
  }

  /**
   * Appends an event; resolves once it is fsynced and ready to send. The seq is taken at
   * call time, so calls keep their order. Nothing may follow the result.
   */
  append(data: JournaledData): Promise<JobEventMessage | null> {
    if (this.removed) return Promise.resolve(null);
    if (this.hasResult) throw new Error(`journal ${this.key} already has its result`);
    if (data.kind === 'result') this.hasResult = true;
    const event: JobEventMessage = { type: 'job_event', job_id: this.jobId, attempt: this.attempt, seq: ++this.lastSeq, data };
    const write = this.chain.then(async () => {
      if (this.removed) return null;
      try {
        if (!this.handle) this.handle = await open(this.file('jsonl'), 'a', 0o600);
        await this.handle.write(`${JSON.stringify(event)}\n`);
        await this.handle.datasync();
      } finally {
        // Even if the disk failed, the event is still sent while this process lives.
        if (event.seq > this.ackedSeq) this.pending.push(event);
      }
      return event;
    });
    this.chain = write.then(() => undefined, () => undefined);
    return write;
  }

  /** Events not acknowledged yet, in order, on disk. */
  unacked(): readonly JobEventMessage[] {
    return this.pending;
  }

  /** Cumulative acknowledgement: drops every event up to `seq`. */
  async ack(seq: number): Promise<void> {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = Math.min(seq, this.lastSeq);
    this.pending = this.pending.filter((event) => event.seq > this.ackedSeq);
    // Through the chain, so that remove() (which waits for it) never races an ack write.
    const write = this.chain.then(async () => {
      if (!this.removed) await writeFile(this.file('ack'), `${this.ackedSeq}\n`, { mode: 0o600 }).catch(() => undefined);
    });
    this.chain = write;
    await write;
  }

  /** Waits for the writes in flight. */
  async flush(): Promise<void> {
    await this.chain;
  }

  async writePid(record: PidRecord): Promise<void> {
    await writeFile(this.file('pid'), JSON.stringify(record), { mode: 0o600 });
  }

  async readPid(): Promise<PidRecord | null> {
    try {
      return PidRecord.parse(JSON.parse(await readFile(this.file('pid'), 'utf8')));
    } catch {
      return null;
    }
  }

  async removePid(): Promise<void> {
    await rm(this.file('pid'), { force: true });
  }

  /** Deletes the journal's files; later appends are ignored. */
  async remove(): Promise<void> {
    this.removed = true;
    this.pending = [];
    await this.chain;
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    // The log goes last: a crash in between leaves a journal that is replayed (and deduped), never a stray sidecar.
    await Promise.all(['ack', 'pid'].map((ext) => rm(this.file(ext), { force: true })));
    await rm(this.file('jsonl'), { force: true });
  }

  /** Closes the file handle (agent stop); the files stay for the next start. */
  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
  }
}
