import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiClient } from './api-client.ts';
import type { ParsedValues } from './args.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_STATE_DIR = './.pressluft';
/** Written by `pressluft dev` when it generated the admin, so local commands need no flags. */
export const DEV_ADMIN_FILE = 'dev-admin.json';

export interface Credentials {
  email: string;
  password: string;
}

export interface ClientConfig {
  url: string;
  stateDir: string;
  credentials: Credentials | null;
  /** Where the credentials came from, for error messages (never the values). */
  credentialSource: string;
}

export function resolveStateDir(values: ParsedValues, env: NodeJS.ProcessEnv, cwd: string): string {
  const dir = (values['state-dir'] as string | undefined) ?? env.PRESSLUFT_STATE_DIR ?? DEFAULT_STATE_DIR;
  return path.resolve(cwd, dir);
}

/** Flags win over the environment, which wins over the dev admin file. */
export function resolveClientConfig(values: ParsedValues, env: NodeJS.ProcessEnv, cwd: string): ClientConfig {
  const url = (values.url as string | undefined) ?? env.PRESSLUFT_URL ?? DEFAULT_URL;
  const stateDir = resolveStateDir(values, env, cwd);
  const email = (values.email as string | undefined) ?? env.PRESSLUFT_ADMIN_EMAIL;
  const password = (values.password as string | undefined) ?? env.PRESSLUFT_ADMIN_PASSWORD;
  if (email && password) return { url, stateDir, credentials: { email, password }, credentialSource: 'flags or environment' };
  const file = path.join(stateDir, DEV_ADMIN_FILE);
  const fromFile = readAdminFile(file);
  if (fromFile) return { url, stateDir, credentials: fromFile, credentialSource: file };
  return { url, stateDir, credentials: null, credentialSource: file };
}

/** Reads `<state>/dev-admin.json`; null when absent or malformed. */
export function readAdminFile(file: string): Credentials | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.email === 'string' && typeof parsed.password === 'string') return { email: parsed.email, password: parsed.password };
  } catch {}
  return null;
}

export class MissingCredentialsError extends Error {
  constructor(file: string) {
    super(`no admin credentials: pass --email and --password, set PRESSLUFT_ADMIN_EMAIL and PRESSLUFT_ADMIN_PASSWORD, or run \`pressluft dev\` with this state directory (${file} not found)`);
    this.name = 'MissingCredentialsError';
  }
}

/** Logs in, runs `fn` with the client, and always logs out. */
export async function withClient<T>(config: ClientConfig, fetchImpl: typeof fetch | undefined, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  if (!config.credentials) throw new MissingCredentialsError(path.join(config.stateDir, DEV_ADMIN_FILE));
  const client = new ApiClient({ baseUrl: config.url, fetch: fetchImpl });
  await client.login(config.credentials.email, config.credentials.password);
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => {});
  }
}
