import { ApiClient, ApiRequestError } from '../api-client.ts';
import { optionalString, parseCommandArgs, UsageError } from '../args.ts';
import { resolveUrl } from '../config.ts';
import { credentialsPath, readSession, removeSession, saveSession } from '../credentials.ts';
import { promptHidden, promptLine, readFirstLine, type Input } from '../prompt.ts';
import type { Command, CommandContext } from './command.ts';

/**
 * The password: typed at a terminal with echo off, or the first line of a piped stdin. Never an
 * argument or an environment variable of this command (both are visible to other processes).
 */
async function readPassword(ctx: CommandContext, input: Input): Promise<string> {
  const password = input.isTTY ? await promptHidden(input, ctx.out.prompt, 'Password: ') : await readFirstLine(input);
  if (password === '') throw new UsageError(input.isTTY ? 'no password given' : 'no password on stdin (pipe it in, or run on a terminal to be asked)');
  return password;
}

async function readEmail(ctx: CommandContext, input: Input, given: string | undefined): Promise<string> {
  const email = given ?? ctx.env.PRESSLUFT_ADMIN_EMAIL ?? (input.isTTY ? await promptLine(input, ctx.out.prompt, 'Email: ') : undefined);
  if (!email) throw new UsageError('--email is required when stdin is not a terminal', LOGIN_USAGE);
  return email;
}

const LOGIN_USAGE = 'Usage: pressluft login [--url URL] [--email E]   (the password is asked for, or read from stdin)';

const login: Command = {
  path: ['login'],
  summary: 'Log in and save a session token for the client commands',
  usage: LOGIN_USAGE,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { url: { type: 'string' }, email: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, this.usage);
    if (values.help) {
      ctx.out.line(this.usage);
      return 0;
    }
    const url = resolveUrl(values, ctx.env);
    const previous = readSession(ctx.env, url); // also checks the URL before anything is asked
    const input = ctx.stdin ?? process.stdin;
    const email = await readEmail(ctx, input, optionalString(values, 'email'));
    const password = await readPassword(ctx, input);
    const issued = await new ApiClient({ baseUrl: url, fetch: ctx.fetch }).issueToken(email, password);
    saveSession(ctx.env, url, { token: issued.token, email, expires_at: issued.expires_at });
    // The session this one replaces is revoked, so a re-login leaves no live token behind.
    if (previous) await new ApiClient({ baseUrl: url, fetch: ctx.fetch, token: previous.token }).logout().catch(() => {});
    ctx.out.line(`Logged in to ${url} as ${email} (until ${issued.expires_at}); the token is in ${credentialsPath(ctx.env)}.`);
    return 0;
  },
};

const logout: Command = {
  path: ['logout'],
  summary: 'Revoke the saved session token and forget it',
  usage: 'Usage: pressluft logout [--url URL]',
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, this.usage);
    if (values.help) {
      ctx.out.line(this.usage);
      return 0;
    }
    const url = resolveUrl(values, ctx.env);
    const session = readSession(ctx.env, url);
    if (!session) {
      ctx.out.line(`Not logged in to ${url}.`);
      return 0;
    }
    try {
      await new ApiClient({ baseUrl: url, fetch: ctx.fetch, token: session.token }).logout();
    } catch (error) {
      // Refused means the server no longer knows it (expired, revoked): nothing left to revoke.
      // Any other failure keeps the token, so the revocation can be tried again.
      if (!(error instanceof ApiRequestError && error.status === 401)) throw error;
    }
    removeSession(ctx.env, url);
    ctx.out.line(`Logged out of ${url}.`);
    return 0;
  },
};

export const authCommands: Command[] = [login, logout];
