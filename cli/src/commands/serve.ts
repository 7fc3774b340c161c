import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, resolveServeSettings, startControlPlane, type ControlPlane, type ControlPlaneOptions, type RawServeSettings, type ServeSettings } from '@pressluft/control-plane';
import pino, { type Logger } from 'pino';
import { parseCommandArgs, type OptionsConfig, type ParsedValues } from '../args.ts';
import { DEV_ADMIN_FILE, type Credentials } from '../config.ts';
import { acquirePidLock, StateDirLockedError } from '../dev/pid-lock.ts';
import type { CommandContext } from './command.ts';

/** The lock both `serve` and `dev` take: one control plane per state directory. */
export const STATE_LOCK_FILE = 'pressluft.pid';

const SERVE_FLAGS = {
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
  'preview-domain': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'trusted-proxy': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** The parsed flags that are settings; absent ones stay undefined so the environment and file apply. */
export function rawSettings(values: ParsedValues): RawServeSettings {
  const s = (name: string) => values[name] as string | undefined;
  return {
    config: s('config'),
    stateDir: s('state-dir'),
    host: s('host'),
    port: s('port'),
    publicUrl: s('public-url'),
    previewDomain: s('preview-domain'),
    tlsCert: s('tls-cert'),
    tlsKey: s('tls-key'),
    trustedProxies: values['trusted-proxy'] as string[] | undefined,
  };
}

/** Every bad setting on its own line, then the usage. */
export function reportConfigError(command: string, error: ConfigError, ctx: CommandContext, usage: string): number {
  for (const problem of error.problems) ctx.out.error(`pressluft ${command}: ${problem}`);
  ctx.out.error(usage);
  return 2;
}

/** Creates the state directory (0700) and takes its pid lock; returns the release. */
export function lockStateDir(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return acquirePidLock(path.join(stateDir, STATE_LOCK_FILE));
}

/** The control plane's options for these settings: the one mapping `serve` and `dev` share. */
export function controlPlaneOptions(settings: ServeSettings): Pick<ControlPlaneOptions, 'stateDir' | 'host' | 'port' | 'tls' | 'trustedProxies' | 'publicUrl' | 'previewDomain'> {
  return {
    stateDir: settings.stateDir,
    host: settings.host,
    port: settings.port,
    tls: settings.tls,
    trustedProxies: settings.trustedProxies,
    publicUrl: settings.publicUrl,
    previewDomain: settings.previewDomain,
  };
}

/** 0600; under sudo it belongs to the invoking user, whose CLI reads it. */
export function writeAdminFile(file: string, admin: Credentials, env: NodeJS.ProcessEnv): void {
  writeFileSync(file, `${JSON.stringify({ email: admin.email, password: admin.password }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (Number.isInteger(uid) && uid > 0 && Number.isInteger(gid)) {
    try {
      chownSync(file, uid, gid);
      chownSync(path.dirname(file), uid, gid);
    } catch {}
  }
}

/**
 * `pressluft serve`: the control plane alone, JSON logs on stdout, until SIGTERM/SIGINT, which
 * drains HTTP, closes agent sockets with 1001 (going away) and leaves running jobs to be
 * recovered by the next start (their agents keep running them and report on reconnect).
 */
export async function runServe(args: string[], ctx: CommandContext, usage: string): Promise<number> {
  const { values } = parseCommandArgs(args, SERVE_FLAGS, usage);
  if (values.help) {
    ctx.out.line(usage);
    return 0;
  }
  let settings: ServeSettings;
  try {
    settings = resolveServeSettings(rawSettings(values), ctx.env, ctx.cwd);
  } catch (error) {
    if (error instanceof ConfigError) return reportConfigError('serve', error, ctx, usage);
    throw error;
  }
  let release: () => void;
  try {
    release = lockStateDir(settings.stateDir);
  } catch (error) {
    if (!(error instanceof StateDirLockedError)) throw error;
    ctx.out.error(`pressluft serve: ${error.message}`);
    return 1;
  }
  const log: Logger = pino({ level: ctx.env.PRESSLUFT_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
  let cp: ControlPlane;
  try {
    cp = await startControlPlane({ ...controlPlaneOptions(settings), logger: log });
  } catch (error) {
    log.error({ err: error }, 'the control plane could not start');
    ctx.out.error(`pressluft serve: ${(error as Error).message}`);
    release();
    return 1;
  }
  if (cp.generatedAdmin) {
    // The password goes to a 0600 file, never to the log.
    const file = path.join(settings.stateDir, DEV_ADMIN_FILE);
    writeAdminFile(file, cp.generatedAdmin, ctx.env);
    log.warn({ email: cp.generatedAdmin.email, file }, 'generated the first admin login; its password is in the file (delete it once you have logged in)');
  }
  log.info({ url: cp.url, publicUrl: settings.publicUrl, stateDir: settings.stateDir }, 'ready');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: draining HTTP and closing agent connections');
      cp.close().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'close failed');
          resolve(1);
        },
      ).finally(() => {
        release();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
