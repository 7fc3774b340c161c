import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { navigate } from '../router.tsx';

/** Email and password; on success tells the shell, then goes back to where the operator was sent from. */
export function LoginPage({ next, onLoggedIn }: { next: string | null; onLoggedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => { document.title = 'Log in · Pressluft'; }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/api/login', { email: email.trim(), password });
      onLoggedIn();
      navigate(next ?? '/sites', true);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form class="panel login-form" onSubmit={submit} data-testid="login-form">
        <h1>Pressluft</h1>
        <p class="muted">Log in to manage your sites.</p>
        <label>
          Email
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} data-testid="login-email" autoFocus />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} data-testid="login-password" />
        </label>
        {error && (
          <p class="form-error" role="alert" data-testid="login-error">
            {error.status === 401 ? 'Wrong email or password.' : error.message}
          </p>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="login-submit">{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
