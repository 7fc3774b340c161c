/**
 * Runs the real playbooks the way the node agent does: ansible-playbook -c local with
 * ANSIBLE_CONFIG and a 0600 vars file whose strings are all `!unsafe`, under the machine-wide
 * lock the e2e suite also takes, and parses the callback's JSON lines.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ANSIBLE_DIR = path.join(REPO, 'ansible');
export const RUNTIME_LOCK = '/run/lock/pressluft-runtime.lock';
export const HTTP_PORT = 8088;

export interface CallbackEvent {
  event: 'playbook_start' | 'play_start' | 'task_start' | 'task_result' | 'playbook_end';
  name?: string;
  playbook?: string;
  status?: 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable';
  duration_ms?: number;
  message?: string | null;
  item?: string | null;
  ok?: boolean;
  stats?: { ok: number; changed: number; failed: number; unreachable: number; skipped: number };
}

export interface PlaybookRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: CallbackEvent[];
  /** Lines of stdout that are not JSON objects (the format allows none). */
  strayLines: string[];
  durationMs: number;
}

/** A YAML document in which every string is a double-quoted scalar tagged `!unsafe`. */
export function unsafeYaml(vars: Record<string, unknown>): string {
  const scalar = (v: unknown): string => {
    if (typeof v === 'string') return `!unsafe ${JSON.stringify(v)}`;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
    throw new TypeError(`unsupported vars value: ${typeof v}`);
  };
  const entries = Object.entries(vars);
  if (entries.length === 0) return '---\n{}\n';
  return `---\n${entries.map(([k, v]) => `${JSON.stringify(k)}: ${scalar(v)}`).join('\n')}\n`;
}

export interface RunOptions {
  /** Extra ansible-playbook arguments (e.g. --syntax-check). */
  args?: string[];
  /** Called with each parsed event as it arrives. */
  onEvent?: (event: CallbackEvent, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
  /**
   * Shell commands (test constants, never job input) run under the same lock right before and
   * after the playbook; teardown runs whatever the playbook's outcome.
   */
  around?: { setup: string; teardown: string };
  /** Take the runtime lock for the run (default); false when the caller already holds it. */
  lock?: boolean;
}

/** Runs ansible/playbooks/<playbook> with the given job variables (and secrets). */
export async function runPlaybook(playbook: string, vars: Record<string, unknown>, opts: RunOptions = {}): Promise<PlaybookRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pressluft-vars-'));
  const varsFile = path.join(dir, 'vars.yml');
  writeFileSync(varsFile, unsafeYaml(vars), { mode: 0o600 });
  const started = Date.now();
  try {
    return await new Promise<PlaybookRun>((resolve, reject) => {
      const ansible = ['ansible-playbook', '-c', 'local', '-i', 'ansible/inventory/local.yml',
        `ansible/playbooks/${playbook}`, '-e', `@${varsFile}`, ...(opts.args ?? [])];
      const command = opts.around
        ? ['bash', '-c', `trap '${opts.around.teardown}' EXIT; ${opts.around.setup}; "$@"`, 'bash', ...ansible]
        : ansible;
      const argv = opts.lock === false ? command : ['flock', '-o', RUNTIME_LOCK, ...command];
      const child = spawn(argv[0], argv.slice(1), {
        cwd: REPO,
        env: { ...process.env, ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg') },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a test can kill the whole run
      });
      let stdout = '';
      let stderr = '';
      let pending = '';
      const events: CallbackEvent[] = [];
      const strayLines: string[] = [];
      const onLine = (line: string) => {
        if (!line.trim()) return;
        try {
          const event = JSON.parse(line) as CallbackEvent;
          events.push(event);
          opts.onEvent?.(event, child);
        } catch {
          strayLines.push(line);
        }
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        lines.forEach(onLine);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
      const timer = setTimeout(() => killGroup(child.pid), opts.timeoutMs ?? 600_000);
      child.on('error', reject);
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        onLine(pending);
        resolve({ exitCode, signal, stdout, stderr, events, strayLines, durationMs: Date.now() - started });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kills a run and every process it started (ansible-playbook, modules, their commands). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

export function results(run: PlaybookRun): CallbackEvent[] {
  return run.events.filter((e) => e.event === 'task_result');
}

/** The last failed task, as the agent reports it (a rescue re-raises a hidden failure). */
export function failedResult(run: PlaybookRun): CallbackEvent | undefined {
  return results(run).findLast((e) => e.status === 'failed');
}

/** A readable summary for assertion messages. */
export function describeRun(run: PlaybookRun): string {
  const lines = results(run).map((e) => `${e.status} ${e.name}${e.message ? `: ${e.message}` : ''}`);
  return `exit ${run.exitCode}\n${lines.join('\n')}\nstderr: ${run.stderr.slice(-2000)}`;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET from the node's nginx with a preview host, as the agent's reachability check does. */
export function httpGet(host: string, urlPath = '/', port = HTTP_PORT): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { Host: port === 80 ? host : `${host}:${port}` }, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Runs a command without a shell; resolves with its exit code and output. */
export function sh(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs SQL as root over the unix socket; returns the rows as tab-split strings. */
export async function sql(query: string): Promise<string[][]> {
  const out = await sh('mariadb', ['--batch', '--skip-column-names'], query);
  if (out.code !== 0) throw new Error(`mariadb failed: ${out.stderr}`);
  return out.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** The PHP-FPM version installed on this node (8.2 on Debian 12, 8.3 on Ubuntu 24.04). */
export async function phpVersion(): Promise<string> {
  const out = await sh('/bin/sh', ['-c', 'ls -d /etc/php/*/fpm | sort -V | tail -n1']);
  const m = /\/etc\/php\/([0-9.]+)\/fpm/.exec(out.stdout);
  if (!m) throw new Error('PHP-FPM is not installed');
  return m[1];
}

/** A random secret as the control plane would generate one. */
export function secret(): string {
  return `S3cr3t-${crypto.randomUUID().replaceAll('-', '')}`;
}
