import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { AgentFatalError } from './errors.ts';

/** Node's codes for a server certificate the agent does not trust. */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * The control plane URL must be http(s). Plain http (hence ws://) carries the node's
 * credential and every job's secrets unencrypted, so it is refused to anything but a loopback
 * address unless the operator says `insecure`. `insecure` never turns off certificate checks.
 */
export function checkControlPlaneUrl(controlPlaneUrl: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(controlPlaneUrl);
  } catch {
    throw new AgentFatalError(`--url "${controlPlaneUrl}" is not a URL (e.g. https://cp.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AgentFatalError(`--url must be an http:// or https:// URL, got "${controlPlaneUrl}"`);
  if (url.protocol === 'http:' && !insecure && !isLoopbackHost(url.hostname)) {
    throw new AgentFatalError(
      `refusing plain http:// and ws:// to ${url.host}, which is not a loopback address: the node's credential and job secrets would cross the network unencrypted. ` +
        'Serve the control plane over TLS (pressluft serve --tls-cert/--tls-key) and use https://, or pass --insecure on a network you trust',
    );
  }
  return url;
}

/** Reads the PEM file of the CA(s) that sign the control plane's certificate; at least one certificate. */
export function readCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new AgentFatalError(`--ca-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new AgentFatalError(`--ca-file: ${file} does not hold a PEM certificate`);
  }
  return pem;
}

/** An operator-facing explanation for a TLS failure, or null for other errors. */
export function explainTlsError(error: unknown, url: string, haveCa: boolean): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  if (code && UNTRUSTED_CERT_CODES.has(code)) {
    const fix = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'use a URL whose host name the certificate names'
      : haveCa ? 'check that --ca-file holds the CA that signed it' : 'if your own CA signed it, pass that CA with --ca-file';
    return `the control plane's TLS certificate at ${url} is not trusted (${code}: ${message}); ${fix}`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return `${url} does not answer with TLS (the handshake got a non-TLS reply); is the control plane serving plain HTTP on that port?`;
  }
  return null;
}
