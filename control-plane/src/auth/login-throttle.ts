/**
 * Login throttling, decided before the slow password hash: a permit is taken synchronously when
 * a login arrives, so parallel guesses cannot all pass a check that is only updated after the
 * hash. Two limits: how many verifications may run at once (per account, per IP, in total) and
 * how many failures a key may collect in a sliding window. In memory (a restart forgets), and
 * bounded: failure lists are capped per key and the oldest keys are evicted past `maxKeys`.
 */
export interface LoginThrottleLimits {
  inFlightPerAccount: number;
  inFlightPerIp: number;
  inFlightTotal: number;
  /** Failures per email+IP, per email (any IP) and per IP (any email) within `windowMs`. */
  failuresPerPair: number;
  failuresPerAccount: number;
  failuresPerIp: number;
  windowMs: number;
  maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = {
  inFlightPerAccount: 1,
  inFlightPerIp: 3,
  inFlightTotal: 8,
  failuresPerPair: 10,
  failuresPerAccount: 50,
  failuresPerIp: 50,
  windowMs: 5 * 60_000,
  maxKeys: 10_000,
};

/** A taken slot: report the outcome once, then release (in a finally). */
export interface LoginPermit {
  failed(): void;
  succeeded(): void;
  release(): void;
}

export class LoginThrottle {
  // Insertion order is recency order: a touched key is re-inserted, the first key is the oldest.
  private readonly failures = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;

  constructor(private readonly limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS, private readonly now: () => number = Date.now) {}

  /** Takes a verification slot for this login, or returns null when it must be refused (429). */
  begin(email: string, ip: string): LoginPermit | null {
    const l = this.limits;
    const account = `a:${email}`;
    const address = `i:${ip}`;
    const pair = `p:${email}|${ip}`;
    if (this.inFlightTotal >= l.inFlightTotal
      || (this.inFlight.get(account) ?? 0) >= l.inFlightPerAccount
      || (this.inFlight.get(address) ?? 0) >= l.inFlightPerIp) return null;
    const now = this.now();
    if (this.recentFailures(pair, now) >= l.failuresPerPair
      || this.recentFailures(account, now) >= l.failuresPerAccount
      || this.recentFailures(address, now) >= l.failuresPerIp) return null;

    this.inFlightTotal++;
    this.bump(account, 1);
    this.bump(address, 1);
    let released = false;
    return {
      failed: () => {
        const at = this.now();
        this.recordFailure(pair, at, l.failuresPerPair);
        this.recordFailure(account, at, l.failuresPerAccount);
        this.recordFailure(address, at, l.failuresPerIp);
      },
      succeeded: () => {
        this.failures.delete(pair);
        this.failures.delete(account);
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlightTotal--;
        this.bump(account, -1);
        this.bump(address, -1);
      },
    };
  }

  /** Keys holding failure records (bounded by `maxKeys`). */
  get trackedKeys(): number {
    return this.failures.size;
  }

  private bump(key: string, by: number): void {
    const n = (this.inFlight.get(key) ?? 0) + by;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }

  private recentFailures(key: string, now: number): number {
    const list = this.failures.get(key);
    if (!list) return 0;
    const recent = list.filter((t) => now - t < this.limits.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    else if (recent.length !== list.length) this.failures.set(key, recent);
    return recent.length;
  }

  private recordFailure(key: string, now: number, limit: number): void {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs);
    list.push(now);
    // Only the newest `limit` failures can matter for the block.
    if (list.length > limit) list.splice(0, list.length - limit);
    this.failures.delete(key);
    this.failures.set(key, list);
    while (this.failures.size > this.limits.maxKeys) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }
}
