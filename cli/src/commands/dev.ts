import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, resolveServeSettings, startControlPlane, SelfNodePortConflictError, type ControlPlane, type ServeSettings } from '@pressluft/control-plane';
import { AgentFatalError, startAgent, type Agent } from '@pressluft/node-agent';
import type { JobDto } from '@pressluft/shared';
import type { Logger } from 'pino';
import { ApiClient, ApiRequestError } from '../api-client.ts';
import { parseCommandArgs, parsePort } from '../args.ts';
import { DEV_ADMIN_FILE, readAdminFile, type Credentials } from '../config.ts';
import { createDevLogger } from '../dev/dev-logger.ts';
import { buildDashboard, checkPrivilege, dashboardNeedsBuild, DevError, ensureAnsible, PRIVILEGE_MESSAGE } from '../dev/prerequisites.ts';
import { rerunWithSudo } from '../dev/sudo.ts';
import { followJob } from '../follow-job.ts';
import { makeStyle, renderJobFailure } from '../render.ts';
import type { CommandContext } from './command.ts';
import { controlPlaneOptions, lockStateDir, rawSettings, reportConfigError, writeAdminFile } from './serve.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const AGENT_CONNECT_TIMEOUT_MS = 60_000;

export interface DevOptions {
  /** The control plane's settings, resolved as `pressluft serve` resolves them (minus TLS). */
  settings: ServeSettings;
  httpPort: number;
}

/**
 * `pressluft dev` is `pressluft serve` plus a self-node: the same settings (flags, PRESSLUFT_*
 * environment, --config file), lock and control plane start. Parse, get root (or re-run under
 * sudo), then run the session until a signal.
 */
export async function runDev(args: string[], ctx: CommandContext, usage: string): Promise<number> {
  const options = {
    config: { type: 'string' },
    'state-dir': { type: 'string' },
    port: { type: 'string' },
    'http-port': { type: 'string' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values } = parseCommandArgs(args, options, usage);
  if (values.help) {
    ctx.out.line(usage);
    return 0;
  }
  const httpPort = parsePort(values['http-port'] as string | undefined, 'http-port', 80, usage);
  let settings: ServeSettings;
  try {
    settings = resolveServeSettings(rawSettings(values), ctx.env, ctx.cwd);
    // The self-node agent dials the listen URL; TLS needs a certificate it trusts, which is serve's business.
    if (settings.tls) throw new ConfigError(['pressluft dev serves plain HTTP on the loopback; use `pressluft serve` for TLS (unset the TLS certificate and key)']);
  } catch (error) {
    if (error instanceof ConfigError) return reportConfigError('dev', error, ctx, usage);
    throw error;
  }
  const opts: DevOptions = { settings, httpPort };
  const privilege = await checkPrivilege();
  if (privilege === 'none') {
    ctx.out.error(`pressluft dev: ${PRIVILEGE_MESSAGE}`);
    return 1;
  }
  if (privilege === 'sudo') {
    ctx.out.line('Not root: re-running under sudo.');
    return rerunWithSudo(ctx.env);
  }
  return new DevSession(opts, ctx).run();
}

/** One run of the local control plane and self-node agent; owns their lifetime and the lock. */
class DevSession {
  private cp: ControlPlane | null = null;
  private agent: Agent | null = null;
  private logger: Logger | null = null;
  private releaseLock: (() => void) | null = null;
  private stopping = false;
  /** Aborted on shutdown: ends a job stream that is still following provisioning. */
  private readonly abort = new AbortController();
  private finish: (code: number) => void = () => {};
  private readonly style;

  constructor(private readonly opts: DevOptions, private readonly ctx: CommandContext) {
    this.style = makeStyle(ctx.out.isTTY);
  }

  run(): Promise<number> {
    const exit = new Promise<number>((resolve) => (this.finish = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) return;
      this.ctx.out.line(`\n${signal}: stopping the agent and the control plane…`);
      void this.shutdown(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void exit.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    this.start().catch((err: unknown) => {
      if (this.stopping) return; // errors of a start interrupted by Ctrl-C are expected
      this.report(err);
      void this.shutdown(1);
    });
    return exit;
  }

  private async start(): Promise<void> {
    const { out } = this.ctx;
    const { settings } = this.opts;
    const { stateDir } = settings;
    this.releaseLock = lockStateDir(stateDir);

    await ensureAnsible(out);
    await this.ensureDashboard();

    const { logger, file: logFile } = createDevLogger(stateDir, this.ctx.env);
    this.logger = logger;
    const adminFile = path.join(stateDir, DEV_ADMIN_FILE);
    let admin: Credentials | null = fromEnv(this.ctx.env) ?? readAdminFile(adminFile);

    if (this.stopping) return;
    out.line(`Starting the control plane (state: ${stateDir}, log: ${logFile})…`);
    this.cp = await startControlPlane({
      ...controlPlaneOptions(settings),
      logger: logger.child({ component: 'control-plane' }),
      ...(admin ? { adminEmail: admin.email, adminPassword: admin.password } : {}),
    });
    // A signal during start-up ran shutdown before this existed: close it here.
    if (this.stopping) return void (await this.cp.close());
    const generated: Credentials | null = this.cp.generatedAdmin;
    if (generated) {
      admin = generated;
      writeAdminFile(adminFile, generated, this.ctx.env);
      out.line(this.style.bold(`Generated the admin login (shown once; kept for the local CLI in ${adminFile}):`));
      out.line(`  email:    ${generated.email}`);
      out.line(`  password: ${generated.password}`);
    }
    if (!admin) {
      throw new DevError(`the database already has an admin but no credentials are known here: set PRESSLUFT_ADMIN_EMAIL and PRESSLUFT_ADMIN_PASSWORD (${adminFile} is missing)`);
    }
    const login: Credentials = admin;

    const agentDir = path.join(stateDir, 'agent');
    const needToken = !existsSync(path.join(agentDir, 'credential.json'));
    const { nodeId, registrationToken } = await this.cp.ensureSelfNode({ hostname: os.hostname(), httpPort: this.opts.httpPort, needToken });
    out.line(`Starting the agent for the self-node ${nodeId}${needToken ? ' (registering)' : ''}…`);
    this.agent = await startAgent({
      controlPlaneUrl: this.cp.url,
      stateDir: agentDir,
      ...(registrationToken ? { registrationToken } : {}),
      logger: logger.child({ component: 'agent' }),
    });
    const agent = this.agent;
    if (this.stopping) return void (await agent.stop());
    const stoppedEarly = agent.done.then(() => { throw new DevError('the agent stopped before it connected'); });
    stoppedEarly.catch(() => {}); // only the race below observes it
    await withTimeout(
      Promise.race([agent.connected, stoppedEarly]),
      AGENT_CONNECT_TIMEOUT_MS,
      `the agent did not connect to ${this.cp.url} within ${AGENT_CONNECT_TIMEOUT_MS / 1000} s; see ${logFile}`,
    );
    agent.done.then(
      () => this.lost(new DevError('the agent stopped')),
      (err: unknown) => this.lost(err),
    );
    if (this.stopping) return;

    const job = await this.provision(nodeId, login);
    if (this.stopping) return;
    if (job.status !== 'succeeded') {
      out.error(this.style.red('Provisioning the self-node failed.'));
      for (const line of renderJobFailure(job, this.style)) out.error(line);
      void this.shutdown(1);
      return;
    }
    out.line(`Self-node ready: nginx on port ${this.opts.httpPort}, previews at http://<id>.localhost${this.opts.httpPort === 80 ? '' : `:${this.opts.httpPort}`}`);
    out.line(`Dashboard: ${this.cp.url}/ (log in as ${login.email})`);
    out.line('Press Ctrl-C to stop.');
    out.line(`Ready. Dashboard: ${this.cp.url}/`);
  }

  /** node_provision on every start: it is idempotent and repairs a drifted node. */
  private async provision(nodeId: string, admin: Credentials): Promise<JobDto> {
    const client = new ApiClient({ baseUrl: this.cp!.url });
    await client.login(admin.email, admin.password);
    try {
      let jobId: string;
      try {
        jobId = (await client.provisionNode(nodeId)).job_id;
      } catch (err) {
        // A provision left queued by a previous run (e.g. waiting for its retry): follow that one.
        if (!(err instanceof ApiRequestError) || err.status !== 409) throw err;
        const pending = [...(await client.listJobs({ status: 'running' })), ...(await client.listJobs({ status: 'queued' }))]
          .find((j) => j.job_type === 'node_provision' && j.node_id === nodeId);
        if (!pending) throw err;
        jobId = pending.id;
      }
      this.ctx.out.line(`Provisioning the self-node (job ${jobId}):`);
      return await followJob(client, jobId, this.ctx.out, { signal: this.abort.signal });
    } finally {
      await client.logout().catch(() => {});
    }
  }

  private async ensureDashboard(): Promise<void> {
    const dashboardDir = path.join(REPO_ROOT, 'control-plane', 'dashboard');
    if (!dashboardNeedsBuild(dashboardDir)) return;
    const started = Date.now();
    this.ctx.out.line('Building the dashboard (pnpm --filter @pressluft/dashboard build)…');
    const failure = await buildDashboard(REPO_ROOT);
    if (failure === null) this.ctx.out.line(`Dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    // Not fatal: the API and the CLI work without it; `/` then says how to build it.
    else this.ctx.out.error(this.style.yellow(`The dashboard build failed; going on without a fresh dashboard.\n${failure}`));
  }

  private lost(err: unknown): void {
    if (this.stopping) return;
    this.report(err);
    void this.shutdown(1);
  }

  private report(err: unknown): void {
    const { out } = this.ctx;
    if (err instanceof ApiRequestError) out.error(`pressluft dev: ${err.code}: ${err.message}`);
    else if (err instanceof DevError || err instanceof SelfNodePortConflictError || err instanceof AgentFatalError) out.error(`pressluft dev: ${err.message}`);
    else {
      out.error(`pressluft dev: ${err instanceof Error ? err.message : String(err)}`);
      if (this.ctx.env.PRESSLUFT_DEBUG && err instanceof Error) out.error(err.stack ?? '');
    }
  }

  private async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    // The agent first: it kills running playbooks and flushes its journal while the control plane still listens.
    try { await this.agent?.stop(); } catch (err) { this.logger?.warn({ err }, 'agent stop failed'); }
    try { await this.cp?.close(); } catch (err) { this.logger?.warn({ err }, 'control plane close failed'); }
    this.releaseLock?.();
    this.logger?.flush();
    if (this.cp) this.ctx.out.line('Stopped.');
    this.finish(code);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Credentials | null {
  return env.PRESSLUFT_ADMIN_EMAIL && env.PRESSLUFT_ADMIN_PASSWORD ? { email: env.PRESSLUFT_ADMIN_EMAIL, password: env.PRESSLUFT_ADMIN_PASSWORD } : null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DevError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
