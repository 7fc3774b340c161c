import { ERROR_CODES } from '../../../shared/src/errors.ts';
import { loginPath } from './lib/routes.ts';
import { navigate } from './router.tsx';

/** An error answer of the API (`{ code, message }`), or a network failure (`code` = 'network'). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }

  /** The registry's advice for this code, when it has one. */
  get hint(): string | null {
    return hintFor(this.code);
  }
}

/** The operator-facing hint of an error code from the shared registry. */
export function hintFor(code: string | null | undefined): string | null {
  if (!code || !Object.hasOwn(ERROR_CODES, code)) return null;
  return ERROR_CODES[code as keyof typeof ERROR_CODES].hint;
}

/** Calls the API with the session cookie; a 401 sends the operator to the login page. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      // Every mutating call says JSON, bodyless ones too: the server's CSRF guard for cookie sessions.
      headers: method === 'GET' ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The control plane did not answer. Is it running?');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const err = (parsed ?? {}) as { code?: string; message?: string };
    if (response.status === 401 && path !== '/api/login') navigate(loginPath(location.pathname + location.search), true);
    throw new ApiError(response.status, err.code ?? 'internal', err.message ?? `${response.status} ${response.statusText}`);
  }
  return parsed as T;
}
