import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { PlaybookProcess } from './playbook-launcher.ts';
import { signalGroup } from './process-group.ts';

/** How an ansible-playbook run ended, before it is mapped to a job result. */
export type PlaybookOutcome =
  | { kind: 'exited'; exitCode: number }
  | { kind: 'signaled'; signal: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'not_found'; message: string }
  | { kind: 'spawn_failed'; message: string };

export interface RunPlaybookOptions {
  /** Starts the process (in its own process group, stdout and stderr piped). */
  start: () => PlaybookProcess;
  timeoutMs: number;
  /** Aborting kills the process group (cancel, abandon, agent stop). */
  signal: AbortSignal;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  onSpawn?: (pid: number) => void;
  onStdoutLine: (line: string) => void;
  onStderrLine: (line: string) => void;
}

function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      try {
        onLine(line);
      } catch {
        // A consumer bug must not stop reading, or the child blocks on a full pipe.
      }
    });
    lines.on('close', resolve);
  });
}

/**
 * Runs a process in its own process group without a shell, streaming its output lines. A
 * timeout or an abort sends SIGTERM to the group, then SIGKILL after the grace period.
 */
export async function runPlaybook(opts: RunPlaybookOptions): Promise<PlaybookOutcome> {
  if (opts.signal.aborted) return { kind: 'aborted' };
  const child = opts.start();
  const pid = child.pid;
  const reading = Promise.all([readLines(child.stdout, opts.onStdoutLine), readLines(child.stderr, opts.onStderrLine)]);

  let stopped: 'timeout' | 'aborted' | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'aborted') => {
    if (stopped !== null || pid === undefined) return;
    stopped = why;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), opts.killGraceMs ?? 5000);
  };
  const timeoutTimer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = () => stop('aborted');
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (pid !== undefined) opts.onSpawn?.(pid);

  try {
    const result = await child;
    await reading;
    if (stopped !== null && pid !== undefined) signalGroup(pid, 'SIGKILL'); // stragglers of the group
    if (stopped !== null) return { kind: stopped };
    const spawnCode = (result as { code?: string }).code;
    if (result.exitCode !== undefined) return { kind: 'exited', exitCode: result.exitCode };
    if (result.signal !== undefined) return { kind: 'signaled', signal: result.signal };
    const message = result.originalMessage || result.shortMessage || 'unknown error';
    return spawnCode === 'ENOENT' ? { kind: 'not_found', message } : { kind: 'spawn_failed', message };
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    opts.signal.removeEventListener('abort', onAbort);
  }
}
