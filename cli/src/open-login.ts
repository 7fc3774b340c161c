import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const OPENERS = ['xdg-open', 'wslview'];
const PAGE_PREFIX = 'pressluft-login-';

/** The first of xdg-open / wslview on PATH, or null. */
export function findOpener(envPath = process.env.PATH ?? ''): string | null {
  for (const name of OPENERS) {
    for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/**
 * Writes a page that forwards to `loginUrl` into a fresh 0700 directory (the file 0600) and
 * returns its path. The opener gets this path, not the URL: a process's arguments are visible
 * to every local user, and the token must not be. Pages of earlier runs are removed once
 * their token has expired (60 s).
 */
export function writeForwardPage(loginUrl: string, tmpDir = os.tmpdir(), now = Date.now()): string {
  for (const name of readdirSync(tmpDir)) {
    if (!name.startsWith(PAGE_PREFIX)) continue;
    const dir = path.join(tmpDir, name);
    try {
      const st = statSync(dir);
      if (st.uid === process.getuid?.() && now - st.mtimeMs > 120_000) rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
  const dir = mkdtempSync(path.join(tmpDir, PAGE_PREFIX));
  const file = path.join(dir, 'login.html');
  const escaped = loginUrl.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Pressluft login</title>\n`, { mode: 0o600 });
  return file;
}

/** Opens the login URL in the desktop's browser; false when there is no opener. */
export function openLogin(loginUrl: string): boolean {
  const opener = findOpener();
  if (!opener) return false;
  const child = spawn(opener, [writeForwardPage(loginUrl)], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return true;
}
