import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return <p class="state state-loading" role="status" data-testid="loading"><span class="spinner" aria-hidden="true" /> {label}</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state state-empty" data-testid="empty">{children}</div>;
}

/** An API failure with its code, message and the registry's hint; `retry` offers a reload. */
export function ErrorBox({ error, retry }: { error: ApiError | Error; retry?: () => void }) {
  const code = 'code' in error ? error.code : null;
  const hint = 'hint' in error ? error.hint : null;
  return (
    <div class="state state-error" role="alert" data-testid="error">
      <p><strong>{code ? `${code}: ` : ''}</strong>{error.message}</p>
      {hint && <p class="hint">{hint}</p>}
      {retry && <button type="button" class="btn" onClick={retry}>Try again</button>}
    </div>
  );
}
