import { ERROR_CODES, isErrorCode } from '@pressluft/shared';
import { ApiConnectionError, ApiRequestError } from './api-client.ts';
import { UsageError } from './args.ts';
import { authCommands } from './commands/auth.ts';
import type { Command, CommandContext } from './commands/command.ts';
import { envCommands } from './commands/env.ts';
import { jobCommands } from './commands/jobs.ts';
import { nodeCommands } from './commands/node.ts';
import { siteCommands } from './commands/site.ts';
import { stateCommands } from './commands/state.ts';
import { MissingCredentialsError } from './config.ts';
import { PromptCancelledError } from './prompt.ts';

const devCommand: Command = {
  path: ['dev'],
  summary: 'Run the control plane and the self-node agent on this machine',
  usage: 'Usage: pressluft dev [--config FILE] [--state-dir DIR] [--port 8080] [--http-port 80] [--host 127.0.0.1]\n(the settings of `pressluft serve`, without TLS, plus a self-node)',
  // Loaded lazily: it pulls in the control plane and the agent, which client commands never need.
  async run(args, ctx) {
    const { runDev } = await import('./commands/dev.ts');
    return runDev(args, ctx, this.usage);
  },
};

const serveCommand: Command = {
  path: ['serve'],
  summary: 'Run the control plane alone (API, dashboard, agent websocket, scheduler)',
  usage: [
    'Usage: pressluft serve [--config FILE] [--state-dir DIR] [--host 127.0.0.1] [--port 8080] [--public-url URL]',
    '         [--preview-domain DOMAIN] [--tls-cert FILE --tls-key FILE] [--trusted-proxy ADDR|CIDR]...',
    'Each setting may also come from PRESSLUFT_<NAME> (e.g. PRESSLUFT_TLS_CERT, PRESSLUFT_TRUSTED_PROXIES=a,b) or from',
    'the JSON config file (state_dir, host, port, public_url, preview_domain, tls_cert, tls_key, trusted_proxies);',
    'flags win over the environment, which wins over the file.',
  ].join('\n'),
  // Loaded lazily, like dev.
  async run(args, ctx) {
    const { runServe } = await import('./commands/serve.ts');
    return runServe(args, ctx, this.usage);
  },
};

export const COMMANDS: Command[] = [devCommand, serveCommand, ...authCommands, ...siteCommands, ...envCommands, ...jobCommands, ...nodeCommands, ...stateCommands];

export function usageText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length));
  return [
    'Usage: pressluft <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Client commands read the control plane URL from --url or PRESSLUFT_URL (default http://127.0.0.1:8080) and',
    'authenticate with PRESSLUFT_ADMIN_EMAIL/PRESSLUFT_ADMIN_PASSWORD, else the session `pressluft login` saved',
    '(in $XDG_CONFIG_HOME/pressluft/credentials.json, default ~/.config/pressluft), else the <state dir>/dev-admin.json',
    'that `pressluft dev` writes (--state-dir or PRESSLUFT_STATE_DIR, default ./.pressluft).',
    'Run `pressluft <command> --help` for its options.',
  ].join('\n');
}

/** Finds the command named by the leading words of argv; the rest are its arguments. */
export function findCommand(argv: string[]): { command: Command; args: string[] } | null {
  let best: Command | null = null;
  for (const c of COMMANDS) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best ? { command: best, args: argv.slice(best.path.length) } : null;
}

/** Runs the CLI and resolves with the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    out.line(usageText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    out.error(`pressluft: unknown command: ${argv.slice(0, 2).join(' ')}`);
    out.error(usageText());
    return 2;
  }
  try {
    return await found.command.run(found.args, ctx);
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CommandContext): number {
  const { out } = ctx;
  if (err instanceof PromptCancelledError) return 130;
  if (err instanceof UsageError) {
    out.error(`pressluft: ${err.message}`);
    if (err.usage) out.error(err.usage);
    return 2;
  }
  if (err instanceof ApiRequestError) {
    out.error(`Error: ${err.code}: ${err.message}`);
    if (isErrorCode(err.code)) out.error(`Hint: ${ERROR_CODES[err.code].hint}`);
    return 1;
  }
  if (err instanceof ApiConnectionError || err instanceof MissingCredentialsError) {
    out.error(`Error: ${err.message}`);
    return 1;
  }
  out.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
  if (ctx.env.PRESSLUFT_DEBUG && err instanceof Error && err.stack) out.error(err.stack);
  return 1;
}
