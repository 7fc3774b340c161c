/**
 * Names of an environment's runtime on its node, all derived from the full environment id so
 * that two environments can never share a Linux user, a database or a pool.
 */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function hexToBase32(hex: string): string {
  let bits = '';
  for (const ch of hex) bits += parseInt(ch, 16).toString(2).padStart(4, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += BASE32[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface RuntimeNames {
  /** Linux user and group (32 characters at most: `pl` + 26 base32 characters of the 128-bit id). */
  user: string;
  /** MariaDB database and user name. */
  database: string;
  /** PHP-FPM pool name; its socket is /run/php/<pool>.sock. */
  pool: string;
  /** Environment root: /var/www/sites/<id>. */
  root: string;
}

export function runtimeNames(environmentId: string): RuntimeNames {
  if (!ID_PATTERN.test(environmentId)) throw new Error(`not an environment id: ${environmentId}`);
  const hex = environmentId.replaceAll('-', '');
  return {
    user: `pl${hexToBase32(hex)}`,
    database: `pl_${hex}`,
    pool: `pl-${hex}`,
    root: `/var/www/sites/${environmentId}`,
  };
}

export interface PreviewBase {
  /** `localhost` for the self-node, `<ip-with-dashes>.sslip.io` for remote nodes, or the configured preview domain. */
  domain: string;
  scheme: 'http' | 'https';
  /** The node's HTTP port; omitted from the URL when it is the scheme's default. */
  port: number;
}

/** `{first 8 hex of the id}.{preview base}`, e.g. http://a1b2c3d4.localhost:8080 */
export function previewUrl(environmentId: string, base: PreviewBase): string {
  const host = `${environmentId.slice(0, 8)}.${base.domain}`;
  const defaultPort = base.scheme === 'https' ? 443 : 80;
  return `${base.scheme}://${host}${base.port === defaultPort ? '' : `:${base.port}`}`;
}

/** The preview base of a node: the self-node uses `localhost`, a remote one sslip.io on its public IP. */
export function nodePreviewBase(node: { is_local: boolean; public_ip: string | null; http_port: number }, previewDomain: string | null): PreviewBase {
  if (previewDomain) return { domain: previewDomain, scheme: 'https', port: 443 };
  if (node.is_local || !node.public_ip) return { domain: 'localhost', scheme: 'http', port: node.http_port };
  return { domain: `${node.public_ip.replaceAll('.', '-').replaceAll(':', '-')}.sslip.io`, scheme: 'http', port: node.http_port };
}
