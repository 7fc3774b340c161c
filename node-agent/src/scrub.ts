/** Replaces every secret value in text sent off the node. */
export const SCRUBBED = '********';

export type Scrubber = (text: string) => string;

/** Builds a scrubber for these secrets (also their JSON-escaped forms, as they appear in JSON output). */
export function createScrubber(secrets: readonly (string | undefined)[]): Scrubber {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of ordered) out = out.replaceAll(needle, SCRUBBED);
    return out;
  };
}

/** Scrubs every string inside a JSON-compatible value. */
export function scrubDeep<T>(value: T, scrub: Scrubber): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, scrub)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, scrub)])) as T;
  }
  return value;
}
