import { useState } from 'preact/hooks';
import type { MagicLoginResponse } from '@pressluft/shared';
import { api, ApiError } from '../api.ts';

/**
 * "WP Admin": asks for a one-time login URL and opens it in a new tab, logged in as the
 * environment's WordPress admin. The tab is opened within the click (so no popup blocker
 * stops it), cut off from this page (`opener = null`), and sent on once the URL arrives;
 * on failure it is closed and the error shown here.
 */
export function WpAdminButton({ environmentId, testId }: { environmentId: string; testId: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function open() {
    setBusy(true);
    setError(null);
    const tab = window.open('', '_blank');
    if (tab) tab.opener = null;
    try {
      const res = await api<MagicLoginResponse>('POST', `/api/environments/${encodeURIComponent(environmentId)}/magic-login`);
      if (tab) tab.location.replace(res.login_url);
      else window.location.assign(res.login_url);
    } catch (err) {
      tab?.close();
      setError(err instanceof ApiError ? err : new ApiError(0, 'internal', (err as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <span class="wp-admin">
      <button type="button" class="btn" onClick={open} disabled={busy} data-testid={testId} title="Log in to WordPress as its admin, in a new tab">
        {busy ? 'Opening…' : 'WP Admin'}
      </button>
      {error && (
        <span class="form-error" role="alert" data-testid={`${testId}-error`}>
          {' '}{error.code}: {error.message}{error.hint ? ` ${error.hint}` : ''}
        </span>
      )}
    </span>
  );
}
