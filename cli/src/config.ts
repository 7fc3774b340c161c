import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiClient, ApiRequestError } from './api-client.ts';
import type { ParsedValues } from './args.ts';
import { credentialsPath, readSession } from './credentials.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_STATE_DIR = './.pressluft';
/** Written by `pressluft dev` when it generated the admin, so local commands need no login. */
export const DEV_ADMIN_FILE = 'dev-admin.json';

export interface Credentials {
  email: string;
  password: string;
}

/** How a client command authenticates: a saved session token, or a password login per command. */
export type ClientAuth =
  | { kind: 'token'; token: string; source: string }
  | { kind: 'password'; credentials: Credentials; source: string };

export interface ClientConfig {
  url: string;
  stateDir: string;
  /** Null when nothing was found: the command tells the operator to run `pressluft login`. */
  auth: ClientAuth | null;
}

export function resolveStateDir(values: ParsedValues, env: NodeJS.ProcessEnv, cwd: string): string {
  const dir = (values['state-dir'] as string | undefined) ?? env.PRESSLUFT_STATE_DIR ?? DEFAULT_STATE_DIR;
  return path.resolve(cwd, dir);
}

export function resolveUrl(values: ParsedValues, env: NodeJS.ProcessEnv): string {
  return (values.url as string | undefined) ?? env.PRESSLUFT_URL ?? DEFAULT_URL;
}

/**
 * The environment's admin email and password win (scripts, CI), then the session `pressluft
 * login` saved for this URL, then the dev admin file of the state directory (`pressluft dev`
 * on this machine). Secrets never come from arguments.
 */
export function resolveClientConfig(values: ParsedValues, env: NodeJS.ProcessEnv, cwd: string): ClientConfig {
  const url = resolveUrl(values, env);
  const stateDir = resolveStateDir(values, env, cwd);
  if (env.PRESSLUFT_ADMIN_EMAIL && env.PRESSLUFT_ADMIN_PASSWORD) {
    return { url, stateDir, auth: { kind: 'password', credentials: { email: env.PRESSLUFT_ADMIN_EMAIL, password: env.PRESSLUFT_ADMIN_PASSWORD }, source: 'PRESSLUFT_ADMIN_EMAIL/PRESSLUFT_ADMIN_PASSWORD' } };
  }
  const session = readSession(env, url);
  if (session) return { url, stateDir, auth: { kind: 'token', token: session.token, source: credentialsPath(env) } };
  const file = path.join(stateDir, DEV_ADMIN_FILE);
  const fromFile = readAdminFile(file);
  if (fromFile) return { url, stateDir, auth: { kind: 'password', credentials: fromFile, source: file } };
  return { url, stateDir, auth: null };
}

/** Reads `<state>/dev-admin.json`; null when absent or malformed. */
export function readAdminFile(file: string): Credentials | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.email === 'string' && typeof parsed.password === 'string') return { email: parsed.email, password: parsed.password };
  } catch {}
  return null;
}

/** No way to authenticate, or a saved session the server no longer accepts. */
export class MissingCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingCredentialsError';
  }
}

/** Runs `fn` with an authenticated client: the saved token as is, or a login that is always logged out after. */
export async function withClient<T>(config: ClientConfig, fetchImpl: typeof fetch | undefined, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const { auth } = config;
  if (!auth) {
    throw new MissingCredentialsError(`not logged in to ${config.url}: run \`pressluft login --url ${config.url}\` (or set PRESSLUFT_ADMIN_EMAIL and PRESSLUFT_ADMIN_PASSWORD)`);
  }
  if (auth.kind === 'token') {
    try {
      return await fn(new ApiClient({ baseUrl: config.url, fetch: fetchImpl, token: auth.token }));
    } catch (error) {
      if (error instanceof ApiRequestError && error.status === 401) {
        throw new MissingCredentialsError(`the saved session for ${config.url} was refused (expired or revoked): run \`pressluft login --url ${config.url}\``);
      }
      throw error;
    }
  }
  const client = new ApiClient({ baseUrl: config.url, fetch: fetchImpl });
  await client.login(auth.credentials.email, auth.credentials.password);
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => {});
  }
}
