import { describe, expect, it } from 'vitest';
import { backoffMs, loadConfig } from '../src/config.ts';

describe('runtime config', () => {
  it('uses the contract defaults: 3 attempts, 1/5/15 minutes, 5 s heartbeats, 30 s leases', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ maxAttempts: 3, backoffSeconds: [60, 300, 900], heartbeatMs: 5000, leaseMs: 30_000 });
    expect([1, 2, 3, 4].map((a) => backoffMs(config, a))).toEqual([60_000, 300_000, 900_000, 900_000]);
  });

  it('reads the overrides from the environment and rejects nonsense', () => {
    const config = loadConfig({ PRESSLUFT_JOB_MAX_ATTEMPTS: '5', PRESSLUFT_JOB_BACKOFF: '1, 2,3', PRESSLUFT_HEARTBEAT_MS: '500', PRESSLUFT_LEASE_MS: '4000' });
    expect(config).toMatchObject({ maxAttempts: 5, backoffSeconds: [1, 2, 3], heartbeatMs: 500, leaseMs: 4000 });
    expect(() => loadConfig({ PRESSLUFT_JOB_BACKOFF: '1,soon' })).toThrow(/PRESSLUFT_JOB_BACKOFF/);
    expect(() => loadConfig({ PRESSLUFT_JOB_MAX_ATTEMPTS: '0' })).toThrow(/PRESSLUFT_JOB_MAX_ATTEMPTS/);
  });
});
