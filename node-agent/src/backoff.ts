/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The cap: 10 s unless PRESSLUFT_AGENT_BACKOFF_MAX_MS says otherwise. */
export function backoffCapMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PRESSLUFT_AGENT_BACKOFF_MAX_MS;
  const parsed = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : 10_000;
}

export const BACKOFF_BASE_MS = 250;
