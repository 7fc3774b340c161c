import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './args.ts';

/** A session token `pressluft login` saved for one control plane. */
export interface SavedSession {
  token: string;
  email: string;
  expires_at: string;
}

interface CredentialsFile {
  control_planes: Record<string, SavedSession>;
}

/** `$XDG_CONFIG_HOME/pressluft/credentials.json`, else `~/.config/pressluft/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec ignores a relative XDG_CONFIG_HOME.
  const configHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.config');
  return path.join(configHome, 'pressluft', 'credentials.json');
}

/** The key a control plane's session is saved under: scheme, host, port and path, no trailing slash. */
export function controlPlaneKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${url}`);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

function readFile(file: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { control_planes: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    if (parsed && typeof parsed.control_planes === 'object' && parsed.control_planes) return { control_planes: { ...parsed.control_planes } };
  } catch {}
  throw new Error(`${file} is not a Pressluft credentials file; remove it and run \`pressluft login\` again`);
}

/** Writes the whole file atomically: directory 0700, file 0600 from its first byte. */
function writeFile(file: string, content: CredentialsFile): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The saved session for a control plane, or null. */
export function readSession(env: NodeJS.ProcessEnv, url: string): SavedSession | null {
  const entry = readFile(credentialsPath(env)).control_planes[controlPlaneKey(url)];
  return entry && typeof entry.token === 'string' ? entry : null;
}

export function saveSession(env: NodeJS.ProcessEnv, url: string, session: SavedSession): void {
  const file = credentialsPath(env);
  const content = readFile(file);
  content.control_planes[controlPlaneKey(url)] = session;
  writeFile(file, content);
}

/** Forgets a control plane's session; false when there was none. */
export function removeSession(env: NodeJS.ProcessEnv, url: string): boolean {
  const file = credentialsPath(env);
  const content = readFile(file);
  const key = controlPlaneKey(url);
  if (!Object.hasOwn(content.control_planes, key)) return false;
  delete content.control_planes[key];
  writeFile(file, content);
  return true;
}
