import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { PROTOCOL_VERSION, type AgentMessage, type ControlPlaneMessage, type JobDispatch, type NodeQueryRequest } from '@pressluft/shared';
import { AgentConnection } from './connection.ts';
import { readCredential, register, writeCredential } from './credential.ts';
import { AgentFatalError } from './errors.ts';
import { JobRun } from './job-run.ts';
import { SAFE_JOB_ID, type Journal } from './journal.ts';
import { Outbox } from './outbox.ts';
import { PlaybookLauncher } from './playbook-launcher.ts';
import { processStartTime, signalGroup } from './process-group.ts';
import { runQuery, type QueryDeps } from './queries/run-query.ts';
import { checkControlPlaneUrl } from './transport.ts';
import { AGENT_VERSION, osName, publicIp } from './system-info.ts';

export interface AgentOptions {
  controlPlaneUrl: string;
  stateDir: string;
  registrationToken?: string;
  ansibleDir?: string;
  ansiblePlaybookBin?: string;
  /** Start ansible-playbook ahead of each job; default: on, unless ansiblePlaybookBin is a stand-in. */
  warmAnsible?: boolean;
  logger?: Logger;
  hostname?: string;
  reachabilityDeadlineMs?: number;
  /** Stand-ins for the node queries' side effects (tests). */
  queryDeps?: QueryDeps;
  /** PEM CA certificates to trust instead of the system's for an https:// control plane. */
  ca?: Buffer;
  /** Allow plain http:// / ws:// to a non-loopback host (certificates are still checked on https). */
  insecure?: boolean;
}

/** Node queries answered at once; more are rejected rather than queued behind slow ones. */
const MAX_QUERIES_IN_FLIGHT = 8;

export interface Agent {
  nodeId: string;
  /** Resolves after the first good hello_ack. */
  connected: Promise<void>;
  /** Settles when the agent stops for good; rejects with AgentFatalError on a fatal error. */
  done: Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_ANSIBLE_DIR = fileURLToPath(new URL('../../ansible', import.meta.url));
const PLAYBOOK_NAME = /^[a-z0-9][a-z0-9-]*\.yml$/;

/** ws(s)://host:port/api/agent/ws for an http(s) control plane URL. */
export function agentSocketUrl(controlPlaneUrl: string): string {
  const url = new URL('/api/agent/ws', controlPlaneUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** Kills the playbook a crashed agent left behind, if its process is still the one recorded. */
async function killOrphan(journal: Journal, log: Logger): Promise<void> {
  const record = await journal.readPid();
  if (record && record.start_time !== null && (await processStartTime(record.pid)) === record.start_time) {
    signalGroup(record.pid, 'SIGKILL');
    log.warn({ jobId: journal.jobId, attempt: journal.attempt, pid: record.pid }, 'killed a playbook left by a previous agent');
  }
  await journal.removePid();
}

/** Starts the agent: registers first if the state dir has no credential, then connects. */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.logger ?? pino({ name: 'pressluft-agent' }, pino.destination(2));
  const hostname = opts.hostname ?? os.hostname();
  checkControlPlaneUrl(opts.controlPlaneUrl, opts.insecure ?? false);
  await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });

  let credential = await readCredential(opts.stateDir);
  if (!credential) {
    if (!opts.registrationToken) throw new AgentFatalError(`no credential in ${opts.stateDir} and no registration token; set PRESSLUFT_AGENT_TOKEN`);
    credential = await register({ controlPlaneUrl: opts.controlPlaneUrl, token: opts.registrationToken, hostname, agentVersion: AGENT_VERSION, ca: opts.ca });
    await writeCredential(opts.stateDir, credential);
    log.info({ nodeId: credential.node_id }, 'registered');
  }

  const outbox = new Outbox(path.join(opts.stateDir, 'journal'), log);
  for (const journal of await outbox.load()) {
    if (journal.settled) await outbox.drop(journal);
    else if (!journal.hasResult) await killOrphan(journal, log);
  }
  // Vars files (with secrets) of runs a killed agent could not clean up.
  const runDir = path.join(opts.stateDir, 'run');
  await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { mode: 0o700 });

  const runtime = new AgentRuntime(opts, credential, hostname, outbox, log, await osName(), runDir);
  return {
    nodeId: credential.node_id,
    connected: runtime.connection.connected,
    done: runtime.done,
    stop: () => runtime.stop(),
  };
}

/** Routes control-plane messages to the outbox and the (single) running job. */
class AgentRuntime {
  readonly connection: AgentConnection;
  readonly done: Promise<void>;
  private current: JobRun | null = null;
  /** Set while a dispatch is being set up, so a second one is rejected. */
  private starting: string | null = null;
  private stopping: Promise<void> | null = null;
  private queriesInFlight = 0;
  private readonly launcher: PlaybookLauncher;
  private readonly ansibleDir: string;

  constructor(
    private readonly opts: AgentOptions,
    private readonly credential: { node_id: string; credential: string },
    private readonly hostname: string,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly os: string,
    private readonly runDir: string,
  ) {
    this.ansibleDir = opts.ansibleDir ?? DEFAULT_ANSIBLE_DIR;
    const bin = opts.ansiblePlaybookBin ?? 'ansible-playbook';
    this.launcher = new PlaybookLauncher({
      bin,
      env: { ANSIBLE_CONFIG: path.join(this.ansibleDir, 'ansible.cfg'), PYTHONUNBUFFERED: '1', ANSIBLE_NOCOLOR: '1' },
      cwd: this.ansibleDir,
      warm: opts.warmAnsible ?? opts.ansiblePlaybookBin === undefined,
      log,
    });
    this.launcher.prepare();
    this.connection = new AgentConnection({
      wsUrl: agentSocketUrl(opts.controlPlaneUrl),
      ca: opts.ca,
      authorization: `Bearer ${credential.node_id}:${credential.credential}`,
      log,
      hello: () => this.hello(),
      onReady: (ack) => this.onReady(ack),
      onMessage: (message) => this.onMessage(message),
      onDown: () => outbox.detach(),
    });
    this.done = this.connection.done.then(
      () => this.shutdown(),
      async (error: unknown) => {
        await this.shutdown();
        throw error;
      },
    );
    this.done.catch(() => undefined);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.current?.stop('stop');
      await this.connection.stop();
      await this.done.catch(() => undefined);
    })();
    return this.stopping;
  }

  /** Kills a running playbook (its result is not written: the control plane decides) and flushes the journals. */
  private async shutdown(): Promise<void> {
    const run = this.current;
    run?.stop('stop');
    this.launcher.close();
    await run?.done;
    await this.outbox.close();
    this.log.info('agent stopped');
  }

  private send(message: AgentMessage): void {
    this.connection.send(message);
  }

  private hello(): AgentMessage {
    return {
      type: 'hello',
      protocol_version: PROTOCOL_VERSION,
      node_id: this.credential.node_id,
      agent_version: AGENT_VERSION,
      hostname: this.hostname.slice(0, 255),
      os: this.os,
      public_ip: publicIp(),
      jobs: this.outbox.list().map((journal) => ({ job_id: journal.jobId, attempt: journal.attempt, running: this.current?.key === journal.key })),
    };
  }

  private onReady(ack: Extract<ControlPlaneMessage, { type: 'hello_ack' }>): void {
    for (const ref of ack.abandon) {
      const journal = this.outbox.get(ref.job_id, ref.attempt);
      if (this.current?.key === `${ref.job_id}.${ref.attempt}`) this.current.stop('abandon');
      if (journal) {
        this.log.info({ jobId: ref.job_id, attempt: ref.attempt }, 'the control plane abandoned this attempt');
        void this.outbox.drop(journal);
      }
    }
    // A dead attempt (the agent died mid-job) with everything delivered was reported once in the hello.
    for (const journal of this.outbox.list()) {
      if (!journal.hasResult && journal.allAcked && this.current?.key !== journal.key) void this.outbox.drop(journal);
    }
    this.outbox.attach((message) => this.connection.send(message));
  }

  private onMessage(message: ControlPlaneMessage): void {
    switch (message.type) {
      case 'job_dispatch':
        void this.onDispatch(message).catch((error) => this.log.error({ err: error, jobId: message.job_id }, 'dispatch failed'));
        return;
      case 'job_cancel': {
        const key = `${message.job_id}.${message.attempt}`;
        if (this.current?.key === key) {
          this.log.info({ jobId: message.job_id, attempt: message.attempt }, 'cancel requested');
          this.current.stop('cancel');
        } else {
          this.log.info({ jobId: message.job_id, attempt: message.attempt }, 'cancel for an attempt that is not running');
        }
        return;
      }
      case 'node_query':
        void this.onQuery(message).catch((error) => this.log.error({ err: error, requestId: message.request_id }, 'query failed'));
        return;
      case 'event_ack':
        void this.outbox
          .ack(message.job_id, message.attempt, message.seq)
          .then((journal) => {
            if (journal && !journal.removed && !journal.hasResult && journal.allAcked && this.current?.key !== journal.key) return this.outbox.drop(journal);
          })
          .catch((error) => this.log.error({ err: error, jobId: message.job_id }, 'ack failed'));
        return;
      default:
        return;
    }
  }

  /** A node query runs beside any job; its answer (maybe a secret) is sent, never logged. */
  private async onQuery(request: NodeQueryRequest): Promise<void> {
    const log = this.log.child({ requestId: request.request_id, kind: request.query.kind });
    const started = Date.now();
    let result;
    if (this.queriesInFlight >= MAX_QUERIES_IN_FLIGHT) {
      result = { ok: false as const, code: 'rejected' as const, message: `the agent is already answering ${MAX_QUERIES_IN_FLIGHT} queries` };
    } else {
      this.queriesInFlight += 1;
      try {
        result = await runQuery(request, this.opts.queryDeps);
      } finally {
        this.queriesInFlight -= 1;
      }
    }
    const durationMs = Date.now() - started;
    if (result.ok) log.info({ durationMs }, 'query answered');
    else log.warn({ durationMs, code: result.code, reason: result.message }, 'query failed');
    this.send({ type: 'node_query_result', request_id: request.request_id, result });
  }

  private async onDispatch(dispatch: JobDispatch): Promise<void> {
    const ref = { job_id: dispatch.job_id, attempt: dispatch.attempt };
    const log = this.log.child({ jobId: dispatch.job_id, attempt: dispatch.attempt });
    const reject = (reason: string) => {
      log.warn({ reason }, 'job rejected');
      this.send({ type: 'job_rejected', ...ref, reason });
    };
    if (!SAFE_JOB_ID.test(dispatch.job_id)) return reject('the job id has characters the agent does not accept');
    if (!PLAYBOOK_NAME.test(dispatch.playbook)) return reject(`not a playbook name: ${dispatch.playbook.slice(0, 100)}`);
    const key = `${dispatch.job_id}.${dispatch.attempt}`;
    // A repeated dispatch of an attempt the agent already has: its events follow (or were replayed).
    if (this.current?.key === key || this.starting === key || this.outbox.get(dispatch.job_id, dispatch.attempt)) {
      this.send({ type: 'job_accepted', ...ref });
      return;
    }
    if (this.stopping) return reject('the agent is stopping');
    // An abandoned run is only waiting for its process group to die: the control plane already
    // let it go, so its successor waits for it instead of being rejected.
    const dying = this.current?.stopping === 'abandon' && !this.starting ? this.current : null;
    const busy = dying ? null : (this.current?.key ?? this.starting);
    if (busy) return reject(`the agent is already running another job (${busy})`);

    this.starting = key;
    let journal: Journal;
    try {
      if (dying) await dying.done;
      if (this.stopping) throw new Error('the agent is stopping');
      journal = await this.outbox.open(dispatch.job_id, dispatch.attempt);
    } catch (error) {
      this.starting = null;
      return reject(this.stopping ? 'the agent is stopping' : `the agent cannot write its journal: ${(error as Error).message}`);
    }
    this.starting = null;
    this.send({ type: 'job_accepted', ...ref });
    const run = new JobRun(dispatch, journal, {
      outbox: this.outbox,
      log: this.log,
      ansibleDir: this.ansibleDir,
      launcher: this.launcher,
      reachabilityDeadlineMs: this.opts.reachabilityDeadlineMs ?? 20_000,
      runDir: this.runDir,
    });
    this.current = run;
    void run.done.then(() => {
      if (this.current === run) this.current = null;
    });
  }
}
