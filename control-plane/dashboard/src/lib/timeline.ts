import type { JobEventDto, JobResultData, ReachabilityReport, StepEventData, StepStatus } from '@pressluft/shared';

/** One row of a job's step timeline: a step, or the start of a new attempt. */
export type TimelineRow =
  | { kind: 'step'; key: string; attempt: number; name: string; status: StepStatus; durationMs: number | null; message: string | null }
  | { kind: 'attempt'; key: string; attempt: number };

export interface JobTimeline {
  rows: TimelineRow[];
  /** The latest reachability report (of the latest attempt that has one). */
  reachability: ReachabilityReport | null;
  /** The latest result, which carries the output tail of a failed attempt. */
  result: JobResultData | null;
  /** Highest seq seen; a resumed stream continues after it. */
  lastSeq: number;
}

/** Adds events to a seq-keyed list, ignoring duplicates (a resumed SSE stream may replay some). */
export function mergeEvents(existing: readonly JobEventDto[], incoming: readonly JobEventDto[]): JobEventDto[] {
  const bySeq = new Map<number, JobEventDto>();
  for (const e of existing) bySeq.set(e.seq, e);
  for (const e of incoming) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Folds job events into timeline rows. A step's `started` row is replaced in place by the
 * finishing row of the same name in the same attempt, so a step is one row whose status moves
 * on; a second attempt starts a marked group of its own.
 */
export function foldTimeline(events: readonly JobEventDto[]): JobTimeline {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const rows: TimelineRow[] = [];
  // Open (started, not yet finished) rows per attempt and step name, oldest first.
  const open = new Map<string, number[]>();
  let reachability: ReachabilityReport | null = null;
  let result: JobResultData | null = null;
  let currentAttempt = 0;
  let lastSeq = 0;

  for (const event of sorted) {
    lastSeq = Math.max(lastSeq, event.seq);
    if (event.type === 'reachability') { reachability = event.data as unknown as ReachabilityReport; continue; }
    if (event.type === 'result') { result = event.data as unknown as JobResultData; continue; }
    if (event.type !== 'step') continue;

    const step = event.data as unknown as StepEventData;
    if (event.attempt !== currentAttempt) {
      // The first attempt needs no marker; later ones do, so repeated steps are told apart.
      if (currentAttempt !== 0 || event.attempt > 1) rows.push({ kind: 'attempt', key: `attempt-${event.attempt}`, attempt: event.attempt });
      currentAttempt = event.attempt;
    }
    const openKey = `${event.attempt}\u0000${step.name}`;
    const row: TimelineRow = {
      kind: 'step',
      key: `step-${event.seq}`,
      attempt: event.attempt,
      name: step.name,
      status: step.status,
      durationMs: step.duration_ms ?? null,
      message: step.message ?? null,
    };
    const waiting = open.get(openKey);
    if (step.status !== 'started' && waiting && waiting.length > 0) {
      const index = waiting.shift()!;
      const started = rows[index] as Extract<TimelineRow, { kind: 'step' }>;
      rows[index] = { ...row, key: started.key };
      continue;
    }
    rows.push(row);
    if (step.status === 'started') open.set(openKey, [...(waiting ?? []), rows.length - 1]);
  }
  return { rows, reachability, result, lastSeq };
}

/** Counts of finished and failed steps, for a one-line summary. */
export function stepSummary(rows: readonly TimelineRow[]): { total: number; done: number; failed: number; running: string | null } {
  let total = 0;
  let done = 0;
  let failed = 0;
  let running: string | null = null;
  for (const row of rows) {
    if (row.kind !== 'step') continue;
    total += 1;
    if (row.status === 'failed') failed += 1;
    if (row.status === 'started') running = row.name;
    else done += 1;
  }
  return { total, done, failed, running };
}
