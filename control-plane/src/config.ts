import { DEFAULT_BACKOFF_SECONDS, DEFAULT_MAX_ATTEMPTS } from '@pressluft/shared';

/** Runtime knobs, read once when the control plane starts. */
export interface RuntimeConfig {
  maxAttempts: number;
  backoffSeconds: readonly number[];
  heartbeatMs: number;
  leaseMs: number;
  /** How long a fresh agent connection may take to say hello. */
  helloTimeoutMs: number;
  /** Dispatcher / lease / heartbeat sweep period. */
  tickMs: number;
  /** Open SSE streams in total and per session, and the bytes one may queue before it is dropped. */
  sseMaxStreams: number;
  sseMaxStreamsPerSession: number;
  sseMaxBufferedBytes: number;
  /** Job events of ended jobs and audit rows older than this are pruned (expired sessions always). */
  jobEventsRetentionDays: number;
  auditLogRetentionDays: number;
  /** Pruning runs at start and then this often. */
  pruneIntervalMs: number;
  /** How long close() lets in-flight HTTP requests finish before it drops their connections. */
  drainMs: number;
  /** The URL agents and browsers reach this control plane at (`pressluft serve --public-url`); null when unknown. */
  publicUrl: string | null;
}

/** One or more bad settings, each a sentence naming the setting; nothing was started. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

function positiveInt(raw: string | undefined, fallback: number, name: string, problems: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  problems.push(`${name} must be a positive integer, got "${raw}"`);
  return fallback;
}

/**
 * Parses PRESSLUFT_JOB_MAX_ATTEMPTS, PRESSLUFT_JOB_BACKOFF, PRESSLUFT_HEARTBEAT_MS, PRESSLUFT_LEASE_MS,
 * PRESSLUFT_JOB_EVENTS_RETENTION_DAYS (30) and PRESSLUFT_AUDIT_RETENTION_DAYS (90); a ConfigError
 * lists every bad one.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const problems: string[] = [];
  let backoffSeconds = DEFAULT_BACKOFF_SECONDS;
  const rawBackoff = env.PRESSLUFT_JOB_BACKOFF;
  if (rawBackoff) {
    const parsed = rawBackoff.split(',').map((part) => Number(part.trim()));
    if (parsed.every((n) => Number.isFinite(n) && n >= 0)) backoffSeconds = parsed;
    else problems.push(`PRESSLUFT_JOB_BACKOFF must be comma-separated seconds, got "${rawBackoff}"`);
  }
  const config: RuntimeConfig = {
    maxAttempts: positiveInt(env.PRESSLUFT_JOB_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 'PRESSLUFT_JOB_MAX_ATTEMPTS', problems),
    backoffSeconds,
    heartbeatMs: positiveInt(env.PRESSLUFT_HEARTBEAT_MS, 5000, 'PRESSLUFT_HEARTBEAT_MS', problems),
    leaseMs: positiveInt(env.PRESSLUFT_LEASE_MS, 30_000, 'PRESSLUFT_LEASE_MS', problems),
    helloTimeoutMs: 10_000,
    tickMs: 1000,
    sseMaxStreams: 64,
    sseMaxStreamsPerSession: 16,
    sseMaxBufferedBytes: 1024 * 1024,
    jobEventsRetentionDays: positiveInt(env.PRESSLUFT_JOB_EVENTS_RETENTION_DAYS, 30, 'PRESSLUFT_JOB_EVENTS_RETENTION_DAYS', problems),
    auditLogRetentionDays: positiveInt(env.PRESSLUFT_AUDIT_RETENTION_DAYS, 90, 'PRESSLUFT_AUDIT_RETENTION_DAYS', problems),
    pruneIntervalMs: 6 * 3600_000,
    drainMs: 10_000,
    publicUrl: null,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Backoff before attempt `attempt + 1`, after attempt `attempt` failed; the last value repeats. */
export function backoffMs(config: RuntimeConfig, attempt: number): number {
  const list = config.backoffSeconds;
  if (list.length === 0) return 0;
  return list[Math.min(attempt - 1, list.length - 1)] * 1000;
}
