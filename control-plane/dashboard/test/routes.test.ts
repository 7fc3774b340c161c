import { describe, expect, it } from 'vitest';
import { loginPath, matchRoute, safeNext } from '../src/lib/routes.ts';

describe('matchRoute', () => {
  it('maps every dashboard path to its page', () => {
    expect(matchRoute('/')).toEqual({ name: 'home' });
    expect(matchRoute('/sites')).toEqual({ name: 'sites' });
    expect(matchRoute('/sites/')).toEqual({ name: 'sites' });
    expect(matchRoute('/sites/0b6a-11')).toEqual({ name: 'site', id: '0b6a-11' });
    expect(matchRoute('/jobs')).toEqual({ name: 'jobs' });
    expect(matchRoute('/jobs/abc')).toEqual({ name: 'job', id: 'abc' });
    expect(matchRoute('/nodes')).toEqual({ name: 'nodes' });
    expect(matchRoute('/sites/a/b')).toEqual({ name: 'not_found' });
    expect(matchRoute('/nope')).toEqual({ name: 'not_found' });
  });

  it('reads a safe post-login target from the login query', () => {
    expect(matchRoute('/login', '?next=%2Fjobs%2Fabc')).toEqual({ name: 'login', next: '/jobs/abc' });
    expect(matchRoute('/login', '?next=https%3A%2F%2Fevil.example')).toEqual({ name: 'login', next: null });
  });
});

describe('safeNext and loginPath', () => {
  it('only accepts same-app paths as post-login targets', () => {
    expect(safeNext('/sites/1')).toBe('/sites/1');
    expect(safeNext('//evil.example/x')).toBeNull();
    expect(safeNext('https://evil.example')).toBeNull();
    expect(safeNext('/login?next=/x')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });

  it('builds a login path that comes back to the current page', () => {
    expect(loginPath('/jobs/abc?x=1')).toBe('/login?next=%2Fjobs%2Fabc%3Fx%3D1');
    expect(loginPath('/')).toBe('/login');
  });
});
