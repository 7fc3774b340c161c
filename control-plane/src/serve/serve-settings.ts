import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config.ts';

/** What `pressluft serve` (and `pressluft dev`, which is serve plus a self-node) runs with. */
export interface ServeSettings {
  stateDir: string;
  host: string;
  port: number;
  /** Where agents and browsers reach the control plane; null when listening on a wildcard with none given. */
  publicUrl: string | null;
  /** Previews become `https://{id8}.{previewDomain}`; null leaves the stored setting as it is. */
  previewDomain: string | null;
  tls: { cert: Buffer; key: Buffer; certFile: string; keyFile: string } | null;
  /** Addresses or CIDRs whose X-Forwarded-For/-Proto/-Host are believed. */
  trustedProxies: string[];
}

/** Settings as given, before validation: flag values or environment strings. */
export interface RawServeSettings {
  config?: string;
  stateDir?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  previewDomain?: string;
  tlsCert?: string;
  tlsKey?: string;
  trustedProxies?: string[];
}

type Key = Exclude<keyof RawServeSettings, 'config'>;

/** Each setting's flag, environment variable and config-file key. */
const NAMES: Record<Key | 'config', { flag: string; env: string; file: string }> = {
  config: { flag: '--config', env: 'PRESSLUFT_CONFIG', file: '' },
  stateDir: { flag: '--state-dir', env: 'PRESSLUFT_STATE_DIR', file: 'state_dir' },
  host: { flag: '--host', env: 'PRESSLUFT_HOST', file: 'host' },
  port: { flag: '--port', env: 'PRESSLUFT_PORT', file: 'port' },
  publicUrl: { flag: '--public-url', env: 'PRESSLUFT_PUBLIC_URL', file: 'public_url' },
  previewDomain: { flag: '--preview-domain', env: 'PRESSLUFT_PREVIEW_DOMAIN', file: 'preview_domain' },
  tlsCert: { flag: '--tls-cert', env: 'PRESSLUFT_TLS_CERT', file: 'tls_cert' },
  tlsKey: { flag: '--tls-key', env: 'PRESSLUFT_TLS_KEY', file: 'tls_key' },
  trustedProxies: { flag: '--trusted-proxy', env: 'PRESSLUFT_TRUSTED_PROXIES', file: 'trusted_proxies' },
};

const DEFAULTS = { stateDir: './.pressluft', host: '127.0.0.1', port: 8080 };
const PATH_KEYS = new Set<Key>(['stateDir', 'tlsCert', 'tlsKey']);
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const WILDCARDS = new Set(['0.0.0.0', '::']);

/** One value and where it came from, so a message can name the flag, variable or file key. */
interface Given<T> {
  value: T;
  from: string;
}

/**
 * Merges flags over the environment over the config file (JSON, `--config`/`PRESSLUFT_CONFIG`)
 * over defaults, and validates everything (the job knobs of loadConfig too). Every bad setting
 * becomes one line of the ConfigError; nothing is started or written.
 */
export function resolveServeSettings(flags: RawServeSettings, env: NodeJS.ProcessEnv, cwd: string): ServeSettings {
  const problems: string[] = [];
  const file = readConfigFile(flags.config ?? (env.PRESSLUFT_CONFIG || undefined), cwd, problems);

  const pick = <K extends Key>(key: K): Given<string | string[]> | null => {
    const flag = flags[key];
    if (flag !== undefined) return { value: flag as string | string[], from: NAMES[key].flag };
    const fromEnv = env[NAMES[key].env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: NAMES[key].env };
    if (file && file.values[key] !== undefined) return { value: file.values[key], from: `${NAMES[key].file} in ${file.path}` };
    return null;
  };
  /** Relative paths resolve against the config file's folder when they come from it, else the cwd. */
  const pathOf = (given: Given<string>): string => path.resolve(file && given.from.endsWith(` in ${file.path}`) ? path.dirname(file.path) : cwd, given.value);
  const str = (key: Key): Given<string> | null => {
    const given = pick(key);
    if (given === null) return null;
    if (typeof given.value !== 'string' || given.value === '') {
      problems.push(`${given.from}: must be a non-empty string`);
      return null;
    }
    return PATH_KEYS.has(key) ? { value: pathOf(given as Given<string>), from: given.from } : (given as Given<string>);
  };

  const stateDirGiven = str('stateDir');
  const stateDir = stateDirGiven?.value ?? path.resolve(cwd, DEFAULTS.stateDir);
  const stat = statOrNull(stateDir);
  if (stat && !stat.isDirectory()) problems.push(`${stateDirGiven?.from ?? NAMES.stateDir.flag}: ${stateDir} exists and is not a directory`);

  const hostGiven = str('host');
  const host = hostGiven?.value ?? DEFAULTS.host;
  if (hostGiven && !net.isIP(host) && !HOSTNAME.test(host)) problems.push(`${hostGiven.from}: "${host}" is neither an IP address nor a host name`);

  const portGiven = str('port');
  let port = DEFAULTS.port;
  if (portGiven) {
    if (/^\d{1,5}$/.test(portGiven.value) && Number(portGiven.value) <= 65535) port = Number(portGiven.value);
    else problems.push(`${portGiven.from} must be a port number (0-65535; 0 picks a free one), got "${portGiven.value}"`);
  }

  const tls = readTls(str('tlsCert'), str('tlsKey'), problems);

  const publicUrlGiven = str('publicUrl');
  let publicUrl: string | null = null;
  if (publicUrlGiven) publicUrl = checkPublicUrl(publicUrlGiven, problems);
  else if (!WILDCARDS.has(host) && port !== 0) publicUrl = `${tls ? 'https' : 'http'}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;

  const previewGiven = str('previewDomain');
  let previewDomain: string | null = null;
  if (previewGiven) {
    const domain = previewGiven.value.toLowerCase();
    if (HOSTNAME.test(domain) && domain.includes('.') && !net.isIP(domain)) previewDomain = domain;
    else problems.push(`${previewGiven.from}: "${previewGiven.value}" is not a domain name (e.g. preview.example.com)`);
  }

  const trustedProxies: string[] = [];
  const proxiesGiven = pick('trustedProxies');
  if (proxiesGiven) {
    // Repeated flags, a comma-separated variable or a JSON list; a flag or list item may hold commas too.
    const list: unknown[] = Array.isArray(proxiesGiven.value) ? proxiesGiven.value : [proxiesGiven.value];
    if (list.some((p) => typeof p !== 'string')) problems.push(`${proxiesGiven.from}: must be a list of addresses`);
    else {
      for (const entry of (list as string[]).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean)) {
        if (isAddressOrCidr(entry)) trustedProxies.push(entry);
        else problems.push(`${proxiesGiven.from}: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.1 or 10.0.0.0/8)`);
      }
    }
  }

  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else throw error;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { stateDir, host, port, publicUrl, previewDomain, tls, trustedProxies };
}

function readConfigFile(given: string | undefined, cwd: string, problems: string[]): { path: string; values: Partial<Record<Key, string | string[]>> } | null {
  if (given === undefined) return null;
  const file = path.resolve(cwd, given);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.push(`${NAMES.config.flag}: cannot read ${file} as JSON (${reason})`);
    return null;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push(`${NAMES.config.flag}: ${file} must hold a JSON object`);
    return null;
  }
  const byFileKey = new Map(Object.entries(NAMES).filter(([key]) => key !== 'config').map(([key, names]) => [names.file, key as Key]));
  const values: Partial<Record<Key, string | string[]>> = {};
  for (const [fileKey, value] of Object.entries(json)) {
    const key = byFileKey.get(fileKey);
    if (!key) {
      problems.push(`${fileKey} in ${file}: unknown setting (known: ${[...byFileKey.keys()].join(', ')})`);
      continue;
    }
    // A port may be written as a number; everything else is a string (trusted_proxies: a list of them).
    values[key] = typeof value === 'number' && key === 'port' ? String(value) : (value as string | string[]);
  }
  return { path: file, values };
}

function readTls(certGiven: Given<string> | null, keyGiven: Given<string> | null, problems: string[]): ServeSettings['tls'] {
  if (!certGiven && !keyGiven) return null;
  if (!certGiven || !keyGiven) {
    problems.push(`${certGiven ? NAMES.tlsKey.flag : NAMES.tlsCert.flag}: a TLS certificate needs its key and a key its certificate (${(certGiven ?? keyGiven)!.from} was given alone)`);
    return null;
  }
  const cert = readPem(certGiven, problems);
  const key = readPem(keyGiven, problems);
  if (!cert || !key) return null;
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    problems.push(`${certGiven.from}: ${certGiven.value} is not a PEM certificate`);
    return null;
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    problems.push(`${keyGiven.from}: ${keyGiven.value} is not an unencrypted PEM private key`);
    return null;
  }
  if (!x509.checkPrivateKey(privateKey)) {
    problems.push(`${keyGiven.from}: ${keyGiven.value} is not the key of the certificate ${certGiven.value}`);
    return null;
  }
  if (Date.parse(x509.validTo) < Date.now()) {
    problems.push(`${certGiven.from}: the certificate ${certGiven.value} expired on ${x509.validTo}`);
    return null;
  }
  return { cert, key, certFile: certGiven.value, keyFile: keyGiven.value };
}

function readPem(given: Given<string>, problems: string[]): Buffer | null {
  try {
    return readFileSync(given.value);
  } catch (error) {
    problems.push(`${given.from}: cannot read ${given.value} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return null;
  }
}

function checkPublicUrl(given: Given<string>, problems: string[]): string | null {
  let url: URL;
  try {
    url = new URL(given.value);
  } catch {
    problems.push(`${given.from}: "${given.value}" is not a URL (e.g. https://cp.example.com)`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${given.from}: must be an http:// or https:// URL, got "${given.value}"`);
  else if (url.username || url.password || url.search || url.hash || url.pathname !== '/') problems.push(`${given.from}: must be only scheme, host and port (no path, query or credentials), got "${given.value}"`);
  else return url.origin;
  return null;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function statOrNull(file: string) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}
