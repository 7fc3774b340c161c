import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../output.ts';

/** `pressluft dev` cannot go on (missing privileges, tools, a held lock): message for the operator. */
export class DevError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevError';
  }
}

export type Privilege = 'root' | 'sudo' | 'none';

/** Root runs everything itself; a user with passwordless sudo gets re-run under sudo. */
export async function checkPrivilege(getuid: () => number = () => process.getuid?.() ?? 0, sudoWorks: () => Promise<boolean> = canSudo): Promise<Privilege> {
  if (getuid() === 0) return 'root';
  return (await sudoWorks()) ? 'sudo' : 'none';
}

function canSudo(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sudo', ['-n', 'true'], { timeout: 10_000 }, (err) => resolve(!err));
  });
}

export const PRIVILEGE_MESSAGE =
  'pressluft dev installs packages and manages nginx, PHP-FPM, MariaDB and Linux users on this machine: ' +
  'run it as root (e.g. `sudo pnpm pressluft dev`), or as a user with passwordless sudo (`sudo -n true` must succeed).';

/** Finds an executable on PATH, like `command -v`. */
export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // stdout of the child goes to our stderr: stdout stays the operator-facing progress.
    const child = spawn(cmd, args, { env, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Makes sure ansible-playbook exists, installing Debian's ansible-core non-interactively if not. */
export async function ensureAnsible(out: Output): Promise<string> {
  const found = findExecutable('ansible-playbook');
  if (found) return found;
  if (!findExecutable('apt-get')) throw new DevError('ansible-playbook is missing and apt-get is not available: install ansible-core (2.14 or newer) yourself.');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  out.line('ansible-playbook not found: installing ansible-core (apt-get update; apt-get install -y ansible-core)…');
  if ((await run('apt-get', ['update', '-q'], env)) !== 0) throw new DevError('apt-get update failed: see the output above.');
  if ((await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'ansible-core'], env)) !== 0) {
    throw new DevError('apt-get install ansible-core failed: see the output above.');
  }
  const installed = findExecutable('ansible-playbook');
  if (!installed) throw new DevError('ansible-core was installed but ansible-playbook is still not on PATH.');
  out.line(`Installed ansible-core (${installed}).`);
  return installed;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.isFile()) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The built dashboard is missing or older than a file in its sources (src/ and index.html). */
export function dashboardNeedsBuild(dashboardDir: string): boolean {
  const srcDir = path.join(dashboardDir, 'src');
  if (!existsSync(srcDir)) return false; // nothing to build from
  const built = path.join(dashboardDir, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  let newestSource = newestMtime(srcDir);
  const entry = path.join(dashboardDir, 'index.html');
  if (existsSync(entry)) newestSource = Math.max(newestSource, statSync(entry).mtimeMs);
  return newestSource > statSync(built).mtimeMs;
}

/** Builds the dashboard with pnpm (no shell); resolves with null or the failure's output tail. */
export function buildDashboard(repoRoot: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('pnpm', ['--filter', '@pressluft/dashboard', 'build'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 5 * 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(null);
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
      resolve(`${err.message.split('\n')[0]}\n${tail}`);
    });
  });
}
