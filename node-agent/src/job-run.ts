import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { JobDispatch, JournaledData, ReachabilityReport } from '@pressluft/shared';
import { parseCallbackLine } from './callback-lines.ts';
import { verdict } from './job-result.ts';
import type { Journal } from './journal.ts';
import { OutputTail } from './output-tail.ts';
import type { Outbox } from './outbox.ts';
import { processStartTime } from './process-group.ts';
import { checkReachability } from './reachability.ts';
import type { PlaybookLauncher } from './playbook-launcher.ts';
import { runPlaybook, type PlaybookOutcome } from './run-playbook.ts';
import { createScrubber, scrubDeep } from './scrub.ts';
import { toUnsafeYaml } from './yaml-unsafe.ts';

export interface JobRunDeps {
  outbox: Outbox;
  log: Logger;
  ansibleDir: string;
  launcher: PlaybookLauncher;
  reachabilityDeadlineMs: number;
  /** Parent of the per-run 0700 dirs holding the vars file; wiped at agent start (a SIGKILLed agent leaves one). */
  runDir: string;
  killGraceMs?: number;
}

/** cancel: result JOB_CANCELLED; abandon: no result, journal dropped; stop: no result, journal kept. */
export type StopReason = 'cancel' | 'abandon' | 'stop';

/** One running attempt: the playbook, then the reachability check, then the result. */
export class JobRun {
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private stopReason: StopReason | null = null;
  private readonly log: Logger;

  constructor(
    readonly dispatch: JobDispatch,
    readonly journal: Journal,
    private readonly deps: JobRunDeps,
  ) {
    this.log = deps.log.child({ jobId: dispatch.job_id, attempt: dispatch.attempt });
    this.done = this.run().catch((error) => this.log.error({ err: error }, 'job run crashed'));
  }

  get key(): string {
    return this.journal.key;
  }

  stop(reason: StopReason): void {
    if (this.stopReason !== null && this.stopReason !== 'cancel') return;
    // abandon and stop win over cancel: they must never write a result.
    this.stopReason = reason;
    this.controller.abort();
  }

  /** Why the run is being stopped, if it is. */
  get stopping(): StopReason | null {
    return this.stopReason;
  }

  private get silenced(): boolean {
    return this.stopReason === 'abandon' || this.stopReason === 'stop';
  }

  private async run(): Promise<void> {
    const { dispatch, deps, journal } = this;
    const startedAt = Date.now();
    const scrub = createScrubber(Object.values(dispatch.secrets));
    const emit = (data: JournaledData) => deps.outbox.emit(journal, scrubDeep(data, scrub));
    const tail = new OutputTail(8000);
    let lastFailure: { name: string; message: string | null } | null = null;
    let lastStarted: string | null = null;
    const stepWrites: Promise<void>[] = [];
    let pidWrite: Promise<void> = Promise.resolve();

    this.log.info({ jobType: dispatch.job_type, playbook: dispatch.playbook }, 'job started');
    let outcome: PlaybookOutcome;
    const tmp = await mkdtemp(path.join(deps.runDir, 'job-'));
    try {
      const varsFile = path.join(tmp, 'vars.yml');
      try {
        await writeFile(varsFile, toUnsafeYaml({ ...dispatch.vars, ...dispatch.secrets }), { mode: 0o600, flag: 'wx' });
        outcome = await runPlaybook({
          start: () => deps.launcher.launch(['-c', 'local', '-i', path.join(deps.ansibleDir, 'inventory', 'local.yml'),
            path.join(deps.ansibleDir, 'playbooks', dispatch.playbook), '-e', `@${varsFile}`]),
          timeoutMs: dispatch.timeout_ms,
          signal: this.controller.signal,
          killGraceMs: deps.killGraceMs,
          onSpawn: (pid) => {
            pidWrite = processStartTime(pid)
              .then((startTime) => journal.writePid({ pid, start_time: startTime }))
              .catch((error) => this.log.warn({ err: error }, 'could not record the playbook pid'));
          },
          onStdoutLine: (line) => {
            const parsed = parseCallbackLine(line);
            tail.line(parsed.text);
            if (parsed.failure) lastFailure = parsed.failure;
            if (parsed.step) {
              if (parsed.step.status === 'started') lastStarted = parsed.step.name;
              stepWrites.push(emit({ kind: 'step', ...parsed.step, at: new Date().toISOString() }));
            }
          },
          onStderrLine: (line) => tail.line(line),
        });
      } catch (error) {
        // Only a programmer error gets here (e.g. vars that are not JSON-compatible).
        outcome = { kind: 'spawn_failed', message: (error as Error).message };
      }
    } finally {
      // The next job's ansible-playbook imports Ansible while this one finishes its check.
      deps.launcher.prepare();
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      await pidWrite;
      await journal.removePid().catch(() => undefined);
    }
    await Promise.all(stepWrites);
    this.log.info({ outcome: outcome.kind, exitCode: outcome.kind === 'exited' ? outcome.exitCode : null }, 'playbook ended');
    if (this.silenced) return;

    let reachability: ReachabilityReport | null = null;
    if (outcome.kind === 'exited' && outcome.exitCode === 0 && dispatch.reachability && this.stopReason === null) {
      reachability = await checkReachability(dispatch.reachability, { deadlineMs: deps.reachabilityDeadlineMs, signal: this.controller.signal });
      if (this.silenced) return;
      if (this.stopReason !== 'cancel') {
        await emit(reachability);
        this.log.info({ ok: reachability.ok, attempts: reachability.attempts, reason: reachability.reason }, 'reachability checked');
      }
    }

    const result = verdict({ outcome, lastFailure, lastStarted, timeoutMs: dispatch.timeout_ms, reachability, cancelled: this.stopReason === 'cancel' });
    if (this.silenced) return;
    await emit({ kind: 'result', ...result, output_tail: tail.value(scrub), duration_ms: Date.now() - startedAt, at: new Date().toISOString() });
    this.log.info({ ok: result.ok, errorCode: result.error_code }, 'job finished');
  }
}
