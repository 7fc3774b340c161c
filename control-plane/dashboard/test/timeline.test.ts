import { describe, expect, it } from 'vitest';
import type { JobEventDto } from '@pressluft/shared';
import { foldTimeline, mergeEvents, stepSummary } from '../src/lib/timeline.ts';

let seq = 0;
function step(name: string, status: string, opts: { attempt?: number; duration?: number | null; message?: string | null; seq?: number } = {}): JobEventDto {
  return {
    job_id: 'job', seq: opts.seq ?? ++seq, attempt: opts.attempt ?? 1, type: 'step', created_at: '2026-01-01T00:00:00Z',
    data: { kind: 'step', name, status, duration_ms: opts.duration ?? null, message: opts.message ?? null, at: '2026-01-01T00:00:00Z' },
  };
}

describe('foldTimeline', () => {
  it('replaces a started row by the finishing row of the same step, in place', () => {
    seq = 0;
    const { rows } = foldTimeline([step('Create user', 'started'), step('Copy core', 'started'), step('Create user', 'changed', { duration: 120 })]);
    expect(rows.map((r) => r.kind === 'step' && [r.name, r.status, r.durationMs])).toEqual([
      ['Create user', 'changed', 120],
      ['Copy core', 'started', null],
    ]);
  });

  it('keeps the row key of the started event so the list does not re-mount', () => {
    seq = 0;
    const started = foldTimeline([step('Install', 'started')]).rows[0];
    const finished = foldTimeline([step('Install', 'started', { seq: 1 }), step('Install', 'ok', { seq: 2 })]).rows[0];
    expect(finished.key).toBe(started.key);
  });

  it('shows a finishing event without a started one as its own row', () => {
    seq = 0;
    const { rows } = foldTimeline([step('Gather facts', 'ok', { duration: 30 }), step('Skip cache', 'skipped')]);
    expect(rows.map((r) => r.kind === 'step' && r.status)).toEqual(['ok', 'skipped']);
  });

  it('orders events by seq whatever order they arrive in', () => {
    const { rows } = foldTimeline([step('B', 'ok', { seq: 3 }), step('A', 'started', { seq: 1 }), step('A', 'failed', { seq: 2, message: 'boom' })]);
    expect(rows.map((r) => r.kind === 'step' && `${r.name}:${r.status}`)).toEqual(['A:failed', 'B:ok']);
    expect(rows[0].kind === 'step' && rows[0].message).toBe('boom');
  });

  it('pairs repeated steps of the same name one by one (loops)', () => {
    seq = 0;
    const { rows } = foldTimeline([step('Reload', 'started'), step('Reload', 'ok'), step('Reload', 'started'), step('Reload', 'changed')]);
    expect(rows.map((r) => r.kind === 'step' && r.status)).toEqual(['ok', 'changed']);
  });

  it('groups a later attempt under a marker and does not pair it with the earlier attempt', () => {
    seq = 0;
    const { rows } = foldTimeline([
      step('Install', 'started', { attempt: 1 }),
      step('Install', 'started', { attempt: 2 }),
      step('Install', 'ok', { attempt: 2 }),
    ]);
    expect(rows.map((r) => (r.kind === 'attempt' ? `attempt ${r.attempt}` : `${r.name}:${r.status}:${r.attempt}`))).toEqual([
      'Install:started:1', 'attempt 2', 'Install:ok:2',
    ]);
  });

  it('takes the latest reachability report and result out of the rows', () => {
    seq = 0;
    const reach = (ok: boolean, s: number): JobEventDto => ({ job_id: 'job', seq: s, attempt: 1, type: 'reachability', created_at: '', data: { kind: 'reachability', ok } });
    const result: JobEventDto = { job_id: 'job', seq: 5, attempt: 1, type: 'result', created_at: '', data: { kind: 'result', ok: false, output_tail: 'tail' } };
    const state: JobEventDto = { job_id: 'job', seq: 6, attempt: 1, type: 'state', created_at: '', data: { status: 'failed', attempt: 1 } };
    const timeline = foldTimeline([reach(false, 3), step('A', 'ok', { seq: 1 }), reach(true, 4), result, state]);
    expect(timeline.rows).toHaveLength(1);
    expect(timeline.reachability?.ok).toBe(true);
    expect(timeline.result?.output_tail).toBe('tail');
    expect(timeline.lastSeq).toBe(6);
  });
});

describe('mergeEvents', () => {
  it('drops events already seen (a resumed stream replays) and keeps seq order', () => {
    const a = step('A', 'ok', { seq: 1 });
    const b = step('B', 'ok', { seq: 2 });
    const c = step('C', 'ok', { seq: 3 });
    expect(mergeEvents([a, b], [b, c, a]).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(mergeEvents([c], [a]).map((e) => e.seq)).toEqual([1, 3]);
  });
});

describe('stepSummary', () => {
  it('counts finished and failed steps and names the running one', () => {
    seq = 0;
    const { rows } = foldTimeline([step('A', 'ok'), step('B', 'failed'), step('C', 'started')]);
    expect(stepSummary(rows)).toEqual({ total: 3, done: 2, failed: 1, running: 'C' });
  });
});
