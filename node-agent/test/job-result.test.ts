import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, type ReachabilityReport } from '@pressluft/shared';
import { verdict, type ResultContext } from '../src/job-result.ts';

const base: ResultContext = { outcome: { kind: 'exited', exitCode: 0 }, lastFailure: null, lastStarted: null, timeoutMs: 300_000, reachability: null, cancelled: false };

const report = (ok: boolean): ReachabilityReport => ({
  kind: 'reachability', ok, url: 'http://a.localhost:8080', host: 'a.localhost', environment_id: 'env', http_status: ok ? 200 : 502,
  header_environment_id: null, home_url: null, is_wordpress: false, latency_ms: 3, attempts: 4, reason: ok ? null : 'GET / answered HTTP 502', body_excerpt: null, at: '',
});

describe('verdict', () => {
  it('succeeds on exit 0 with no reachability needed or a passing report', () => {
    expect(verdict(base)).toEqual({ ok: true, exit_code: 0, error_code: null, error_message: null, failed_step: null });
    expect(verdict({ ...base, reachability: report(true) }).ok).toBe(true);
  });

  it('maps exit codes to the registry', () => {
    const codes = Object.fromEntries([1, 2, 4, 5, 250, 3, 99].map((exitCode) => [exitCode, verdict({ ...base, outcome: { kind: 'exited', exitCode } }).error_code]));
    expect(codes).toEqual({ 1: 'ANSIBLE_PLAY_ERROR', 2: 'ANSIBLE_HOST_FAILED', 4: 'ANSIBLE_HOST_UNREACHABLE', 5: 'ANSIBLE_SYNTAX_ERROR', 250: 'ANSIBLE_UNEXPECTED_ERROR', 3: 'ANSIBLE_UNKNOWN_EXIT', 99: 'ANSIBLE_UNKNOWN_EXIT' });
  });

  it('names the last failed task as the failed step with its message', () => {
    const v = verdict({ ...base, outcome: { kind: 'exited', exitCode: 2 }, lastFailure: { name: 'Reload nginx', message: 'bad config' } });
    expect(v).toMatchObject({ ok: false, exit_code: 2, failed_step: 'Reload nginx', error_message: 'Reload nginx: bad config' });
  });

  it('fails a successful playbook whose runtime is unreachable', () => {
    const v = verdict({ ...base, reachability: report(false) });
    expect(v.error_code).toBe('RUNTIME_UNREACHABLE');
    expect(v.error_message).toContain('HTTP 502');
  });

  it('reports timeout, cancel, missing binary and signals with their codes', () => {
    expect(verdict({ ...base, outcome: { kind: 'timeout' }, lastStarted: 'Install' })).toMatchObject({ error_code: 'ANSIBLE_TIMEOUT', failed_step: 'Install' });
    expect(verdict({ ...base, outcome: { kind: 'aborted' }, cancelled: true }).error_code).toBe('JOB_CANCELLED');
    expect(verdict({ ...base, cancelled: true }).error_code).toBe('JOB_CANCELLED');
    expect(verdict({ ...base, outcome: { kind: 'not_found', message: 'ENOENT' } }).error_code).toBe('ANSIBLE_NOT_FOUND');
  });

  it('reports a playbook killed by a signal (the OOM killer\'s SIGKILL) as ANSIBLE_KILLED, which is retried', () => {
    const killed = verdict({ ...base, outcome: { kind: 'signaled', signal: 'SIGKILL' }, lastStarted: 'Create the environment' });
    expect(killed).toMatchObject({ ok: false, exit_code: null, error_code: 'ANSIBLE_KILLED', failed_step: 'Create the environment', error_message: 'ansible-playbook was killed by SIGKILL during "Create the environment".' });
    expect(ERROR_CODES[killed.error_code as ErrorCode].retryable).toBe(true);
    expect(verdict({ ...base, outcome: { kind: 'signaled', signal: 'SIGTERM' } })).toMatchObject({ error_code: 'ANSIBLE_KILLED', error_message: 'ansible-playbook was killed by SIGTERM.', failed_step: null });
    // An unknown exit code stays what it was: not retried.
    expect(ERROR_CODES[verdict({ ...base, outcome: { kind: 'exited', exitCode: 3 } }).error_code as ErrorCode].retryable).toBe(false);
  });
});
