import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from './api.ts';
import { ErrorBox, Loading } from './components/states.tsx';
import { onLiveStatus, startLive, stopLive, type LiveStatus } from './live.ts';
import type { Route } from './lib/routes.ts';
import { JobPage } from './pages/job-page.tsx';
import { JobsPage } from './pages/jobs-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { NodesPage } from './pages/nodes-page.tsx';
import { SitePage } from './pages/site-page.tsx';
import { SitesPage } from './pages/sites-page.tsx';
import { Link, navigate, useRoute } from './router.tsx';

const NAV = [
  { href: '/sites', label: 'Sites', matches: ['sites', 'site'] },
  { href: '/jobs', label: 'Jobs', matches: ['jobs', 'job'] },
  { href: '/nodes', label: 'Nodes', matches: ['nodes'] },
] as const;

function LiveIndicator() {
  const [status, setStatus] = useState<LiveStatus>('offline');
  useEffect(() => onLiveStatus(setStatus), []);
  const label = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline';
  return <span class={`live live-${status}`} data-testid="live-status" data-status={status} title="Live updates from the control plane">{label}</span>;
}

function Header({ route }: { route: Route }) {
  const logout = async () => {
    try { await api('POST', '/api/logout'); } catch { /* the session is gone either way */ }
    navigate('/login');
  };
  return (
    <header class="topbar">
      <Link href="/sites" class="brand">Pressluft</Link>
      <nav aria-label="Main">
        {NAV.map((item) => (
          <Link key={item.href} href={item.href} data-testid={`nav-${item.label.toLowerCase()}`}
            aria-current={(item.matches as readonly string[]).includes(route.name) ? 'page' : undefined}>
            {item.label}
          </Link>
        ))}
      </nav>
      <span class="spacer" />
      <LiveIndicator />
      <button type="button" class="btn btn-quiet" onClick={logout} data-testid="logout">Log out</button>
    </header>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'sites': return <SitesPage />;
    case 'site': return <SitePage id={route.id} />;
    case 'jobs': return <JobsPage />;
    case 'job': return <JobPage id={route.id} />;
    case 'nodes': return <NodesPage />;
    default: return (
      <section>
        <h1>Page not found</h1>
        <p><Link href="/sites">Go to the sites</Link></p>
      </section>
    );
  }
}

/**
 * The dashboard shell: the login page alone, or the navigation and the current page. Pages and
 * the change stream start only once the session is known good (the login just succeeded, or
 * GET /api/me answered), so the stream is never opened into a 401 and left to a retry.
 */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<'unknown' | 'ok' | ApiError>('unknown');

  useEffect(() => {
    if (route.name === 'home') {
      navigate('/sites', true);
    } else if (route.name === 'login') {
      // Logged out, or sent here by a 401: no stream until the next login.
      stopLive();
      setSession('unknown');
    } else if (session === 'unknown') {
      let current = true;
      api('GET', '/api/me').then(
        () => { if (current) { setSession('ok'); startLive(); } },
        // A 401 has already sent the operator to the login page.
        (error: ApiError) => { if (current && error.status !== 401) setSession(error); },
      );
      return () => { current = false; };
    }
  }, [route.name, session]);

  // Move focus to the new page so keyboard and screen-reader users land on its content.
  useEffect(() => {
    const main = document.getElementById('main');
    if (main && document.activeElement && document.activeElement !== document.body && !main.contains(document.activeElement)) main.focus();
  }, [route]);

  const loggedIn = () => { setSession('ok'); startLive(); };
  if (route.name === 'login') return <LoginPage next={route.next} onLoggedIn={loggedIn} />;
  if (route.name === 'home') return null;
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <Header route={route} />
      <main id="main" tabIndex={-1}>
        {session === 'ok' ? <Page route={route} />
          : session === 'unknown' ? <Loading label="Checking the session…" />
          : <ErrorBox error={session} retry={() => setSession('unknown')} />}
      </main>
    </>
  );
}
