import { ansibleExitCode, type ErrorCode, type JobResultData, type ReachabilityReport } from '@pressluft/shared';
import type { PlaybookOutcome } from './run-playbook.ts';

export interface ResultContext {
  outcome: PlaybookOutcome;
  /** The last failed task, from the callback lines. */
  lastFailure: { name: string; message: string | null } | null;
  /** The last task that started (where a timeout hit). */
  lastStarted: string | null;
  timeoutMs: number;
  /** Set when the playbook succeeded and the job type needs a reachability check. */
  reachability: ReachabilityReport | null;
  /** True when an operator cancelled the job. */
  cancelled: boolean;
}

type Verdict = Pick<JobResultData, 'ok' | 'exit_code' | 'error_code' | 'error_message' | 'failed_step'>;

function fail(code: ErrorCode, message: string, exitCode: number | null, failedStep: string | null): Verdict {
  return { ok: false, exit_code: exitCode, error_code: code, error_message: message.slice(0, 4000), failed_step: failedStep?.slice(0, 500) ?? null };
}

/** Maps how a run ended to the result's verdict (error code, message, failed step). */
export function verdict(ctx: ResultContext): Verdict {
  const { outcome, lastFailure } = ctx;
  if (ctx.cancelled) return fail('JOB_CANCELLED', 'The job was cancelled by an operator.', outcome.kind === 'exited' ? outcome.exitCode : null, null);
  switch (outcome.kind) {
    case 'exited': {
      if (outcome.exitCode !== 0) {
        const message = lastFailure
          ? `${lastFailure.name}: ${lastFailure.message ?? 'failed'}`
          : `ansible-playbook exited with code ${outcome.exitCode}; read the output tail.`;
        return fail(ansibleExitCode(outcome.exitCode), message, outcome.exitCode, lastFailure?.name ?? null);
      }
      if (ctx.reachability && !ctx.reachability.ok) {
        const report = ctx.reachability;
        return fail('RUNTIME_UNREACHABLE', `${report.host} did not answer as environment ${report.environment_id} after ${report.attempts} attempts: ${report.reason ?? 'unknown reason'}`, 0, null);
      }
      return { ok: true, exit_code: 0, error_code: null, error_message: null, failed_step: null };
    }
    case 'timeout':
      return fail('ANSIBLE_TIMEOUT', `The playbook ran longer than ${Math.round(ctx.timeoutMs / 1000)} s and was stopped${ctx.lastStarted ? ` during "${ctx.lastStarted}"` : ''}.`, null, ctx.lastStarted);
    case 'signaled':
      return fail('ANSIBLE_KILLED', `ansible-playbook was killed by ${outcome.signal}${ctx.lastStarted ? ` during "${ctx.lastStarted}"` : ''}.`, null, lastFailure?.name ?? ctx.lastStarted);
    case 'not_found':
      return fail('ANSIBLE_NOT_FOUND', `ansible-playbook could not be started: ${outcome.message}`, null, null);
    case 'spawn_failed':
      return fail('ANSIBLE_UNEXPECTED_ERROR', `ansible-playbook could not be started: ${outcome.message}`, null, null);
    case 'aborted':
      // An abort that is not a cancel (agent stop, abandon) writes no result; this is a fallback.
      return fail('ANSIBLE_UNKNOWN_EXIT', 'The run was stopped by the agent.', null, ctx.lastStarted);
  }
}
