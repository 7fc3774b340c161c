import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoginThrottle, DEFAULT_LOGIN_LIMITS } from '../../src/auth/login-throttle.ts';
import { build, ADMIN, type Built } from '../support/build.ts';

// Counts the verifications that reach the slow hash; `gate` holds them until the test opens it,
// so "in flight at once" does not depend on how fast scrypt is on this machine.
const hash = vi.hoisted(() => ({ calls: 0, inFlight: 0, maxInFlight: 0, gate: null as Promise<void> | null }));
vi.mock('../../src/auth/passwords.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/auth/passwords.ts')>();
  return {
    ...real,
    verifyPassword: async (password: string, stored: string) => {
      hash.calls++;
      hash.inFlight++;
      hash.maxInFlight = Math.max(hash.maxInFlight, hash.inFlight);
      try {
        await hash.gate;
        return await real.verifyPassword(password, stored);
      } finally {
        hash.inFlight--;
      }
    },
  };
});

let built: Built;
afterEach(async () => built?.close());

/** Fires `n` logins at once while the hash is held; resolves with their status codes once all but the held ones answered. */
async function parallelLogins(b: Built, payloads: Array<{ email: string; password: string }>, heldExpected: number): Promise<number[]> {
  hash.calls = 0;
  hash.maxInFlight = 0;
  let open!: () => void;
  hash.gate = new Promise((resolve) => (open = resolve));
  let answered = 0;
  const pending = payloads.map((payload) => b.cp.app.inject({ method: 'POST', url: '/api/login', payload, remoteAddress: '10.0.0.7' })
    .then((res) => {
      answered++;
      if (answered === payloads.length - heldExpected) open();
      return res.statusCode;
    }));
  const codes = await Promise.all(pending);
  hash.gate = null;
  return codes;
}

describe('login throttle', () => {
  it('lets one of 20 parallel wrong guesses for one account reach the hash; the rest are 429 rate_limited', async () => {
    built = await build();
    const codes = await parallelLogins(built, Array.from({ length: 20 }, () => ({ email: ADMIN.email, password: 'guess' })), 1);
    expect(hash.calls).toBe(1);
    expect(hash.maxInFlight).toBe(1);
    expect(codes.filter((c) => c === 401)).toHaveLength(1);
    expect(codes.filter((c) => c === 429)).toHaveLength(19);
  });

  it('lets at most the per-IP number of parallel guesses across accounts reach the hash', async () => {
    built = await build();
    const payloads = Array.from({ length: 20 }, (_, i) => ({ email: `user${i}@pressluft.test`, password: 'guess' }));
    const codes = await parallelLogins(built, payloads, DEFAULT_LOGIN_LIMITS.inFlightPerIp);
    expect(hash.calls).toBe(DEFAULT_LOGIN_LIMITS.inFlightPerIp);
    expect(codes.filter((c) => c === 429)).toHaveLength(20 - DEFAULT_LOGIN_LIMITS.inFlightPerIp);
  });

  it('accepts the right password once the parallel guesses are done', async () => {
    built = await build();
    await parallelLogins(built, [{ email: ADMIN.email, password: 'guess' }, { email: ADMIN.email, password: 'guess' }], 1);
    const res = await built.cp.app.inject({ method: 'POST', url: '/api/login', payload: ADMIN, remoteAddress: '10.0.0.7' });
    expect(res.statusCode).toBe(200);
  });
});

describe('LoginThrottle', () => {
  const limits = { ...DEFAULT_LOGIN_LIMITS, maxKeys: 100 };

  it('blocks an email+IP after its failures in the window and forgets them after the window', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(limits, () => now);
    for (let i = 0; i < limits.failuresPerPair; i++) {
      const p = t.begin('a@x', '1.1.1.1')!;
      p.failed();
      p.release();
    }
    expect(t.begin('a@x', '1.1.1.1')).toBeNull();
    now += limits.windowMs;
    expect(t.begin('a@x', '1.1.1.1')).not.toBeNull();
  });

  it('blocks an account guessed from many IPs', () => {
    const t = new LoginThrottle(limits, () => 5);
    for (let i = 0; i < limits.failuresPerAccount; i++) {
      const p = t.begin('a@x', `10.0.${i >> 8}.${i & 255}`)!;
      p.failed();
      p.release();
    }
    expect(t.begin('a@x', '192.168.1.1')).toBeNull();
    expect(t.begin('b@x', '192.168.1.1')).not.toBeNull();
  });

  it('keeps its memory bounded under 100 000 distinct keys', () => {
    const t = new LoginThrottle(limits, () => 5);
    for (let i = 0; i < 100_000; i++) {
      const p = t.begin(`u${i}@x`, `ip${i}`);
      p?.failed();
      p?.release();
    }
    expect(t.trackedKeys).toBeLessThanOrEqual(limits.maxKeys);
    // Nothing stays in flight after release.
    for (let i = 0; i < limits.inFlightTotal; i++) expect(t.begin(`n${i}@x`, `n${i}`)).not.toBeNull();
    expect(t.begin('over@x', 'over')).toBeNull();
  });
});
