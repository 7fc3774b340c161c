import path from 'node:path';
import { MAGIC_LOGIN_TOKEN, runtimeNames, type NodeQuery, type NodeQueryAnswer } from '@pressluft/shared';
import { fastcgiRequest, type FastCgiResponse } from './fastcgi.ts';
import { QueryFailure } from './query-failure.ts';

type MagicLoginQuery = Extract<NodeQuery, { kind: 'magic_login' }>;

export interface MagicLoginDeps {
  fastcgi?: typeof fastcgiRequest;
  /** Where the pools listen; /run/php (root's) unless a test says otherwise. */
  socketDir?: string;
}

/**
 * The FastCGI parameter the environment's must-use plugin answers with a new token. nginx sets
 * only its fixed parameters and `HTTP_*` ones from client headers, so no visitor can send it;
 * only a client of the pool socket (root, www-data) can.
 */
export const MAGIC_LOGIN_PARAM = 'PRESSLUFT_MAGIC_LOGIN';

/**
 * Asks the environment's own PHP-FPM pool (its Linux user, its open_basedir) to make a one-time
 * login token: WordPress is loaded by `wp-load.php` and the mu-plugin answers before anything
 * else runs. The agent only relays the token; it is never logged.
 */
export async function makeMagicLogin(query: MagicLoginQuery, timeoutMs: number, deps: MagicLoginDeps = {}): Promise<NodeQueryAnswer> {
  const names = runtimeNames(query.environment_id);
  const address = new URL(query.address);
  const https = address.protocol === 'https:';
  const port = address.port || (https ? '443' : '80');
  // Inside the env root the pool resolves `current` as the site user; root only opens the socket.
  const docroot = path.posix.join(names.root, 'current');
  const params: Record<string, string> = {
    [MAGIC_LOGIN_PARAM]: 'create',
    PRESSLUFT_ENV_ID: query.environment_id,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: 'POST',
    SCRIPT_FILENAME: `${docroot}/wp-load.php`,
    SCRIPT_NAME: '/wp-load.php',
    REQUEST_URI: '/wp-load.php',
    QUERY_STRING: '',
    DOCUMENT_ROOT: docroot,
    SERVER_NAME: address.hostname,
    SERVER_PORT: port,
    HTTP_HOST: address.host,
    REMOTE_ADDR: '127.0.0.1',
    ...(https ? { HTTPS: 'on' } : {}),
  };
  const socket = path.join(deps.socketDir ?? '/run/php', `${names.pool}.sock`);
  const response = await (deps.fastcgi ?? fastcgiRequest)(socket, params, Buffer.alloc(0), timeoutMs);
  return parseAnswer(response);
}

function parseAnswer(response: FastCgiResponse): NodeQueryAnswer {
  const text = response.body.trim();
  if (response.status === 200 && text === '') {
    throw new QueryFailure('failed', 'WordPress answered without a token: the pressluft-magic-login must-use plugin is missing in this environment');
  }
  if (response.status !== 200) {
    throw new QueryFailure('failed', `WordPress could not make a login token (PHP answered ${response.status}): ${excerpt(text)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new QueryFailure('failed', `WordPress answered something other than a login token: ${excerpt(text)}`);
  }
  const { token, expires_at: expiresAt } = (parsed ?? {}) as { token?: unknown; expires_at?: unknown };
  // Not echoed on failure: whatever came back may be a token.
  if (typeof token !== 'string' || !MAGIC_LOGIN_TOKEN.test(token) || typeof expiresAt !== 'number' || !Number.isInteger(expiresAt)) {
    throw new QueryFailure('failed', 'WordPress answered a malformed login token');
  }
  return { kind: 'magic_login', token, expires_at: new Date(expiresAt * 1000).toISOString() };
}

/** The first line of a plain-text or HTML answer, for the operator. */
function excerpt(text: string): string {
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.slice(0, 300) || 'no output';
}
