import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@pressluft/shared';
import { followJob } from '../src/follow-job.ts';
import { ApiClient } from '../src/api-client.ts';
import { memoryOutput } from '../src/output.ts';
import { formatDuration, makeStyle, renderJobFailure, renderReachability, renderState, renderStep, renderTable } from '../src/render.ts';
import { ADMIN, JOB_ID, makeJob, startFakeApi, stepEvent } from './helpers/fake-api.ts';

const plain = makeStyle(false);

describe('rendering', () => {
  it('formats durations for people', () => {
    expect(formatDuration(42)).toBe('42 ms');
    expect(formatDuration(1530)).toBe('1.5 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('');
  });

  it('renders a step per status with its mark and duration', () => {
    expect(renderStep({ name: 'Install WordPress', status: 'ok', duration_ms: 340 }, plain)).toBe('  ✓ Install WordPress  340 ms');
    expect(renderStep({ name: 'Write vhost', status: 'changed', duration_ms: 1200 }, plain)).toBe('  ✓ Write vhost  changed  1.2 s');
    expect(renderStep({ name: 'Enable cache', status: 'skipped', duration_ms: 0 }, plain)).toBe('  - Enable cache  skipped  0 ms');
    expect(renderStep({ name: 'Install WordPress', status: 'started', duration_ms: null }, plain)).toBe('  … Install WordPress');
    expect(renderStep({ name: 'Reload nginx', status: 'failed', duration_ms: 80, message: '\nnginx: [emerg] bad\nmore' }, plain))
      .toBe('  ✗ Reload nginx  80 ms\n      nginx: [emerg] bad');
  });

  it('colors only when asked to', () => {
    const colored = renderStep({ name: 'x', status: 'failed', duration_ms: 1 }, makeStyle(true));
    expect(colored).toContain('\x1b[31m✗\x1b[39m');
    expect(renderStep({ name: 'x', status: 'failed', duration_ms: 1 }, plain)).not.toContain('\x1b[');
  });

  it('renders the reachability report and retry state changes', () => {
    expect(renderReachability({ ok: false, url: 'http://a.localhost/', reason: 'X-Pressluft-Environment mismatch' }, plain))
      .toBe('  ✗ Not reachable: http://a.localhost/  X-Pressluft-Environment mismatch');
    expect(renderState({ status: 'queued', attempt: 1, error_code: 'AGENT_LOST' }, plain)).toBe('  Attempt 1 failed (AGENT_LOST); it will be retried.');
    expect(renderState({ status: 'running', attempt: 1 }, plain)).toBeNull();
  });

  it('renders a failure with code, message, step, hint and the last lines of the output tail', () => {
    const tail = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const lines = renderJobFailure(makeJob({ status: 'failed', error_code: 'RUNTIME_UNREACHABLE', error_message: 'HTTP 502', failed_step: null, output_tail: tail }), plain);
    expect(lines[0]).toBe('Failed: RUNTIME_UNREACHABLE — HTTP 502');
    expect(lines).toContain(`Hint: ${ERROR_CODES.RUNTIME_UNREACHABLE.hint}`);
    expect(lines).not.toContain('  line 10');
    expect(lines).toContain('  line 11');
    expect(lines).toContain('  line 30');
    expect(lines.some((l) => l.startsWith('Failed step'))).toBe(false);
  });

  it('aligns table columns and shows "-" for empty cells', () => {
    expect(renderTable(['a', 'long header'], [['xxxxx', null], ['y', 'z']])).toEqual(['A      LONG HEADER', 'xxxxx  -', 'y      z']);
  });
});

describe('following a job on a terminal', () => {
  it('shows a started step as a transient line that its result replaces', async () => {
    const api = await startFakeApi({ events: [stepEvent(1, 'Copy core', 'started', null), stepEvent(2, 'Copy core', 'ok', 250)], finalJob: makeJob() });
    try {
      const client = new ApiClient({ baseUrl: api.url });
      await client.login(ADMIN.email, ADMIN.password);
      const out = memoryOutput(true);
      const job = await followJob(client, JOB_ID, out);
      expect(job.status).toBe('succeeded');
      expect(out.stdout).toContain('\x1b[2m…\x1b[22m Copy core\r\x1b[2K  \x1b[32m✓\x1b[39m Copy core');
    } finally {
      await api.close();
    }
  });
});
