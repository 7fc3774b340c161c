import { ERROR_CODES, isErrorCode, type JobDto, type JobEventDto } from '@pressluft/shared';

/** ANSI styling that turns itself off when stdout is not a terminal. */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function makeStyle(color: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const MARKS: Record<string, string> = { ok: '✓', changed: '✓', skipped: '-', failed: '✗', started: '…' };

/** One line for a step event: mark, name, duration, and the message of a failed step. */
export function renderStep(data: Record<string, unknown>, style: Style): string {
  const status = String(data.status ?? '');
  const name = String(data.name ?? '');
  const mark = MARKS[status] ?? '?';
  if (status === 'started') return `  ${style.dim(mark)} ${name}`;
  const duration = formatDuration(data.duration_ms as number | null);
  const tail = [status === 'changed' ? style.dim('changed') : status === 'skipped' ? style.dim('skipped') : '', style.dim(duration)]
    .filter(Boolean)
    .join('  ');
  const coloredMark = status === 'failed' ? style.red(mark) : status === 'skipped' ? style.dim(mark) : style.green(mark);
  let line = `  ${coloredMark} ${name}${tail ? `  ${tail}` : ''}`;
  if (status === 'failed' && data.message) line += `\n      ${style.red(firstLine(String(data.message)))}`;
  return line;
}

/** One line for the agent's reachability report. */
export function renderReachability(data: Record<string, unknown>, style: Style): string {
  const url = String(data.url ?? data.host ?? '');
  if (data.ok) return `  ${style.green('✓')} Reachable: ${url}  ${style.dim(`HTTP ${data.http_status}, ${formatDuration(data.latency_ms as number)}`)}`;
  return `  ${style.red('✗')} Not reachable: ${url}  ${style.red(String(data.reason ?? 'unknown reason'))}`;
}

/** A state event worth showing while following a job (retries); null for the rest. */
export function renderState(data: Record<string, unknown>, style: Style): string | null {
  const status = data.status;
  const attempt = Number(data.attempt ?? 0);
  if (status === 'queued' && data.error_code) return style.yellow(`  Attempt ${attempt} failed (${String(data.error_code)}); it will be retried.`);
  if (status === 'running' && attempt > 1) return style.dim(`  Attempt ${attempt} started.`);
  return null;
}

/** The lines of an event, or null when the event is not shown (results, plain state changes). */
export function renderEvent(event: JobEventDto, style: Style): string | null {
  const data = event.data;
  switch (event.type) {
    case 'step': return renderStep(data, style);
    case 'reachability': return renderReachability(data, style);
    case 'state': return renderState(data, style);
    default: return null;
  }
}

/** The error block of a failed job: code, message, failed step, hint, output tail. */
export function renderJobFailure(job: JobDto, style: Style, tailLines = 20): string[] {
  const code = job.error_code ?? 'unknown';
  const lines = [style.red(`${style.bold('Failed')}: ${code}${job.error_message ? ` — ${job.error_message}` : ''}`)];
  if (job.failed_step) lines.push(`Failed step: ${job.failed_step}`);
  if (isErrorCode(code)) lines.push(`Hint: ${ERROR_CODES[code].hint}`);
  if (job.output_tail) {
    const tail = job.output_tail.trimEnd().split('\n').slice(-tailLines);
    lines.push('Output tail:', ...tail.map((l) => style.dim(`  ${l}`)));
  }
  lines.push(style.dim(`Job ${job.id} (${job.job_type}, attempt ${job.attempt}/${job.max_attempts})`));
  return lines;
}

/** A plain-text table: header row, left-aligned columns, '-' for empty cells. */
export function renderTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string[] {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(headers.map((h) => h.toUpperCase())), ...cells.map(fmt)];
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
