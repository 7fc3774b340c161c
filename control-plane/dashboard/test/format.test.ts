import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, humanize, jobElapsedMs } from '../src/lib/format.ts';

describe('formatDuration', () => {
  it('uses ms below a second, tenths below ten seconds, then minutes and hours', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(340)).toBe('340 ms');
    expect(formatDuration(4260)).toBe('4.2 s');
    expect(formatDuration(42_900)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('shows a dash for unknown or nonsense durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(undefined)).toBe('–');
    expect(formatDuration(-5)).toBe('–');
    expect(formatDuration(Number.NaN)).toBe('–');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('says how long ago, in the largest sensible unit', () => {
    expect(formatRelative('2026-01-01T11:59:58Z', now)).toBe('just now');
    expect(formatRelative('2026-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(formatRelative('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-01-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2025-12-28T12:00:00Z', now)).toBe('4 d ago');
  });

  it('treats a missing time as never and a future time (clock skew) as just now', () => {
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative('2026-01-01T12:00:30Z', now)).toBe('just now');
    expect(formatRelative('garbage', now)).toBe('unknown');
  });
});

describe('jobElapsedMs', () => {
  const now = Date.parse('2026-01-01T12:00:10Z');
  it('runs from start to finish, or to now while running, and is null before the start', () => {
    expect(jobElapsedMs({ started_at: '2026-01-01T12:00:00Z', finished_at: '2026-01-01T12:00:04Z' }, now)).toBe(4000);
    expect(jobElapsedMs({ started_at: '2026-01-01T12:00:00Z', finished_at: null }, now)).toBe(10_000);
    expect(jobElapsedMs({ started_at: null, finished_at: null }, now)).toBeNull();
  });
});

describe('humanize', () => {
  it('turns a job type into words', () => {
    expect(humanize('site_create')).toBe('Site create');
    expect(humanize('node_provision')).toBe('Node provision');
  });
});
