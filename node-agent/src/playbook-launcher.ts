import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { signalGroup } from './process-group.ts';

const WARM_RUNNER = fileURLToPath(new URL('../runner/warm-ansible-playbook.py', import.meta.url));

export interface LaunchSettings {
  /** ansible-playbook, or a stand-in (tests); only the real one is started ahead. */
  bin: string;
  env: Record<string, string>;
  cwd: string;
  /** Start ansible-playbook ahead of the next job (see runner/warm-ansible-playbook.py). */
  warm: boolean;
  /** Where a warm start that does not work is reported (the agent's pino logger). */
  log: { warn(details: object, message: string): void };
}

const COMMON = { detached: true, cleanup: false, extendEnv: true, buffer: false, reject: false } as const;
type ColdProcess = ResultPromise<typeof COMMON & { stdin: 'ignore' }>;
type WarmProcess = ResultPromise<typeof COMMON & { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }>;
/** A started ansible-playbook: its own process group, stdout and stderr piped. */
export type PlaybookProcess = ColdProcess | WarmProcess;

/** The interpreter of a Python script (its shebang), so the runner imports the same Ansible. */
function interpreterOf(bin: string): string | null {
  const dirs = path.isAbsolute(bin) ? [''] : (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const dir of dirs) {
    try {
      const head = readFileSync(path.join(dir, bin), 'utf8').slice(0, 200);
      const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
      if (!match) return null;
      // `#!/usr/bin/env python3` names the interpreter as its argument.
      return path.basename(match[1]) === 'env' ? (match[2] ?? null) : match[1];
    } catch {
      continue;
    }
  }
  return null;
}

/**
 * Starts ansible-playbook for a job. With `warm`, one ansible-playbook process is started while
 * the agent is idle and waits, Ansible already imported, for the next job's arguments: that
 * takes ~0.4 s off the start of every job and ~0.25 s off its end on a small node. Until one
 * warm process has proven the interpreter works, a job only gets a warm process that is ready.
 */
export class PlaybookLauncher {
  private idle: { child: WarmProcess; ready: boolean } | null = null;
  private proven = false;
  private closed = false;
  private disabled: boolean;
  private readonly interpreter: string | null;

  constructor(private readonly settings: LaunchSettings) {
    this.interpreter = settings.warm ? interpreterOf(settings.bin) : null;
    this.disabled = this.interpreter === null;
    if (settings.warm && this.disabled) settings.log.warn({ bin: settings.bin }, 'cannot find the Python of ansible-playbook; starting it cold for every job');
  }

  /** The process waiting for the next job, if any, and whether Ansible is imported in it. */
  waiting(): { pid: number; ready: boolean } | null {
    const pid = this.idle?.child.pid;
    return pid === undefined || !this.idle ? null : { pid, ready: this.idle.ready };
  }

  /** Starts a process ahead of the next job, if none is waiting. Call it when the agent is idle. */
  prepare(): void {
    if (this.closed || this.disabled || this.idle || this.interpreter === null) return;
    const child = execa(this.interpreter, [WARM_RUNNER], {
      ...COMMON,
      env: this.settings.env,
      cwd: this.settings.cwd,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const entry = { child, ready: false };
    this.idle = entry;
    // fd 3 says `ready`, or `untested <version>` before the runner exits on an ansible-core it
    // is not tested on.
    let said = '';
    child.stdio[3]?.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
      if (said.startsWith('ready')) {
        entry.ready = true;
        this.proven = true;
      }
    });
    void child.then((result) => {
      if (this.idle !== entry) return;
      this.idle = null;
      const untested = /^untested (\S+)/.exec(said);
      if (untested) {
        this.disabled = true;
        this.settings.log.warn({ ansibleCore: untested[1], interpreter: this.interpreter }, `the warm ansible-playbook is not tested on ansible-core ${untested[1]}; starting it cold for every job`);
      } else if (!entry.ready && result.exitCode !== 0) {
        // It ended before it got a job: the interpreter cannot run Ansible.
        this.disabled = true;
        this.settings.log.warn({ exitCode: result.exitCode, interpreter: this.interpreter }, 'the warm ansible-playbook failed to start; starting it cold for every job');
      }
    });
  }

  /** ansible-playbook with these arguments: the process started ahead when there is one, else a new one. */
  launch(args: string[]): PlaybookProcess {
    const idle = this.idle;
    if (idle && idle.child.exitCode === null && (idle.ready || this.proven)) {
      this.idle = null;
      idle.child.stdin?.end(`${JSON.stringify(args)}\n`);
      return idle.child;
    }
    return execa(this.settings.bin, args, { ...COMMON, env: this.settings.env, cwd: this.settings.cwd, stdin: 'ignore' });
  }

  /** Kills the waiting process, if any, and starts no other (the agent is stopping). */
  close(): void {
    this.closed = true;
    const pid = this.idle?.child.pid;
    this.idle = null;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }
}
