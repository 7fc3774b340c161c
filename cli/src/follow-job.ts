import { TERMINAL_JOB_STATUSES, type JobDto } from '@pressluft/shared';
import type { ApiClient } from './api-client.ts';
import type { Output } from './output.ts';
import { makeStyle, renderEvent } from './render.ts';

export interface FollowOptions {
  /** Print nothing while following (--json). */
  quiet?: boolean;
  /** How often the job is polled for its waiting reason while queued. */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Streams a job's events live (one line per finished step; on a TTY a started step shows as a
 * "…" line that its result rewrites), prints the waiting reason while the job is queued, and
 * resolves with the job as it ended.
 */
export async function followJob(client: ApiClient, jobId: string, out: Output, opts: FollowOptions = {}): Promise<JobDto> {
  const style = makeStyle(out.isTTY);
  const printer = new LinePrinter(out);
  const poller = opts.quiet ? null : watchWaitingReason(client, jobId, printer, style.yellow, opts.pollMs ?? 1000);
  try {
    for await (const item of client.streamJobEvents(jobId, { signal: opts.signal })) {
      if (item.kind === 'end') break;
      const event = item.event!;
      if (opts.quiet) continue;
      const isStarted = event.type === 'step' && event.data.status === 'started';
      if (isStarted && !out.isTTY) continue;
      const text = renderEvent(event, style);
      if (text === null) continue;
      if (isStarted) printer.transient(text);
      else printer.line(text);
    }
  } finally {
    poller?.stop();
    printer.flush();
  }
  let job = await client.getJob(jobId);
  // The stream ends after the terminal state event; the row is written in the same transaction,
  // but poll briefly in case a proxy delivered the end first.
  const deadline = Date.now() + 5000;
  while (!TERMINAL_JOB_STATUSES.includes(job.status) && Date.now() < deadline && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 200));
    job = await client.getJob(jobId);
  }
  return job;
}

/** Prints "Waiting: <reason>" whenever a queued job's waiting reason changes. */
function watchWaitingReason(client: ApiClient, jobId: string, printer: LinePrinter, color: (s: string) => string, pollMs: number): { stop(): void } {
  let stopped = false;
  let last: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    try {
      const job = await client.getJob(jobId);
      if (stopped) return;
      const reason = job.status === 'queued' ? job.waiting_reason : null;
      if (reason && reason !== last) printer.line(color(`  Waiting: ${reason}`));
      last = reason;
      if (TERMINAL_JOB_STATUSES.includes(job.status)) return;
    } catch {
      // The stream reports real failures; a missed poll only delays a hint.
    }
    if (!stopped) timer = setTimeout(tick, pollMs);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Writes lines; on a TTY a transient line (a started step) is replaced by the next line. */
class LinePrinter {
  private pending = false;

  constructor(private readonly out: Output) {}

  transient(text: string): void {
    this.clear();
    this.out.write(text);
    this.pending = true;
  }

  line(text: string): void {
    this.clear();
    this.out.line(text);
  }

  flush(): void {
    if (this.pending) this.out.line('');
    this.pending = false;
  }

  private clear(): void {
    if (this.pending) this.out.write('\r\x1b[2K');
    this.pending = false;
  }
}
