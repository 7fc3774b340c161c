/** The dashboard's client-side routes (History API); the control plane answers every non-/api GET with index.html. */
export type Route =
  | { name: 'login'; next: string | null }
  | { name: 'sites' }
  | { name: 'site'; id: string }
  | { name: 'jobs' }
  | { name: 'job'; id: string }
  | { name: 'nodes' }
  | { name: 'home' }
  | { name: 'not_found' };

const ID = '([0-9a-zA-Z-]{1,64})';
const PATTERNS: [RegExp, (m: RegExpMatchArray) => Route][] = [
  [/^\/$/, () => ({ name: 'home' })],
  [/^\/sites$/, () => ({ name: 'sites' })],
  [new RegExp(`^/sites/${ID}$`), (m) => ({ name: 'site', id: m[1] })],
  [/^\/jobs$/, () => ({ name: 'jobs' })],
  [new RegExp(`^/jobs/${ID}$`), (m) => ({ name: 'job', id: m[1] })],
  [/^\/nodes$/, () => ({ name: 'nodes' })],
];

/** Maps a location to a route; a trailing slash is ignored. */
export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (path === '/login') return { name: 'login', next: safeNext(new URLSearchParams(search).get('next')) };
  for (const [pattern, build] of PATTERNS) {
    const match = path.match(pattern);
    if (match) return build(match);
  }
  return { name: 'not_found' };
}

/** Only same-app paths may be a post-login target (no `//evil.example` or absolute URLs). */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return null;
  return next;
}

/** The login path that comes back to `current` afterwards. */
export function loginPath(current: string): string {
  const next = safeNext(current);
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
