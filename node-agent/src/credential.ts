import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { z } from 'zod';
import { RegisterNodeResponse } from '@pressluft/shared';
import { fullJitterDelay } from './backoff.ts';
import { AgentFatalError } from './errors.ts';
import { explainTlsError } from './transport.ts';

const Credential = z.object({ node_id: z.string().min(1), credential: z.string().min(1) });
export type Credential = z.infer<typeof Credential>;

export const credentialPath = (stateDir: string) => path.join(stateDir, 'credential.json');

/** The stored credential, or null when the node has not registered yet. */
export async function readCredential(stateDir: string): Promise<Credential | null> {
  let text: string;
  try {
    text = await readFile(credentialPath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = Credential.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AgentFatalError(`${credentialPath(stateDir)} is not a valid credential file; delete it and register the node again`);
  return parsed.data;
}

/** Writes the credential with mode 0600, atomically (temp file + rename). */
export async function writeCredential(stateDir: string, credential: Credential): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = credentialPath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(credential)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export interface RegisterOptions {
  controlPlaneUrl: string;
  token: string;
  hostname: string;
  agentVersion: string;
  /** CA certificates (PEM) to trust instead of the system's, for an https control plane. */
  ca?: Buffer;
  /** Network errors and 5xx are retried this many times. */
  retries?: number;
}

/** Exchanges a single-use registration token for the node's credential (POST /api/nodes/register). */
export async function register(opts: RegisterOptions): Promise<Credential> {
  const url = new URL('/api/nodes/register', opts.controlPlaneUrl);
  const retries = opts.retries ?? 8;
  for (let attempt = 0; ; attempt++) {
    let failure: string;
    try {
      const res = await postJson(url, { token: opts.token, hostname: opts.hostname.slice(0, 255), agent_version: opts.agentVersion }, opts.ca);
      let body: unknown = null;
      try {
        body = JSON.parse(res.text);
      } catch {}
      if (res.status >= 200 && res.status < 300) {
        const parsed = RegisterNodeResponse.safeParse(body);
        if (!parsed.success) throw new AgentFatalError(`the control plane answered the registration with an unexpected body`);
        return parsed.data;
      }
      const message = (body as { message?: unknown } | null)?.message;
      const detail = typeof message === 'string' ? `: ${message}` : '';
      if (res.status < 500) throw new AgentFatalError(`the control plane refused the registration token (HTTP ${res.status}${detail}); create a new token for this node`);
      failure = `HTTP ${res.status}${detail}`;
    } catch (error) {
      if (error instanceof AgentFatalError) throw error;
      // Retrying does not make a certificate trusted: say what to fix now.
      const tls = explainTlsError(error, opts.controlPlaneUrl, opts.ca !== undefined);
      if (tls) throw new AgentFatalError(`could not register: ${tls}`);
      failure = (error as Error).message;
    }
    if (attempt >= retries) throw new AgentFatalError(`could not register with ${opts.controlPlaneUrl}: ${failure}`);
    await new Promise((resolve) => setTimeout(resolve, 250 + fullJitterDelay(attempt, 250, 5000)));
  }
}

/** One JSON POST over http or https (node's own client, so a CA can be given). */
function postJson(url: URL, body: unknown, ca: Buffer | undefined): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const options = { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: 30_000 };
    const req = url.protocol === 'https:' ? https.request(url, { ...options, ...(ca ? { ca } : {}) }) : http.request(url, options);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('the registration request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
