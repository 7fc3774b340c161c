import http from 'node:http';
import type { ReachabilityExpectation, ReachabilityReport } from '@pressluft/shared';

export interface ReachabilityOptions {
  deadlineMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Defaults to 127.0.0.1: the node checks its own web server. */
  address?: string;
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_BODY = 1024 * 1024;

/** GET with an explicit Host header; *.localhost is never resolved (the node's resolver can't). */
function get(address: string, port: number, hostHeader: string, path: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, path, method: 'GET', headers: { Host: hostHeader, 'User-Agent': 'pressluft-agent' }, timeout: timeoutMs });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end();
  });
}

const stripSlash = (url: string) => url.replace(/\/+$/, '');

type Attempt = Omit<ReachabilityReport, 'kind' | 'url' | 'host' | 'environment_id' | 'attempts' | 'at'> & { body: string | null };

async function attempt(exp: ReachabilityExpectation, address: string, timeoutMs: number): Promise<Attempt> {
  const hostHeader = exp.http_port === 80 ? exp.host : `${exp.host}:${exp.http_port}`;
  const started = Date.now();
  const base: Attempt = { ok: false, http_status: null, header_environment_id: null, home_url: null, is_wordpress: false, latency_ms: 0, reason: null, body_excerpt: null, body: null };
  let page: HttpAnswer;
  try {
    page = await get(address, exp.http_port, hostHeader, '/', timeoutMs);
  } catch (error) {
    return { ...base, latency_ms: Date.now() - started, reason: `GET / failed: ${(error as Error).message}` };
  }
  const headerValue = page.headers['x-pressluft-environment'];
  const result: Attempt = {
    ...base,
    latency_ms: Date.now() - started,
    http_status: page.status,
    header_environment_id: typeof headerValue === 'string' ? headerValue : null,
    is_wordpress: page.body.includes('wp-content') || page.body.includes('wp-includes'),
    body: page.body,
  };
  if (page.status !== 200) {
    const location = page.headers.location ? ` (Location: ${page.headers.location})` : '';
    return { ...result, reason: `GET / answered HTTP ${page.status}${location}` };
  }
  if (result.header_environment_id !== exp.environment_id) {
    return { ...result, reason: `X-Pressluft-Environment is ${JSON.stringify(result.header_environment_id)}, expected ${JSON.stringify(exp.environment_id)}` };
  }
  if (!result.is_wordpress) return { ...result, reason: 'the page does not look like WordPress (no wp-content or wp-includes)' };

  let index: HttpAnswer;
  try {
    index = await get(address, exp.http_port, hostHeader, '/?rest_route=/', timeoutMs);
  } catch (error) {
    return { ...result, reason: `GET /?rest_route=/ failed: ${(error as Error).message}` };
  }
  if (index.status !== 200) return { ...result, reason: `GET /?rest_route=/ answered HTTP ${index.status}`, body: index.body };
  let home: unknown;
  try {
    home = (JSON.parse(index.body) as { home?: unknown }).home;
  } catch {
    return { ...result, reason: 'the REST index is not JSON', body: index.body };
  }
  const homeUrl = typeof home === 'string' ? home : null;
  if (homeUrl === null || stripSlash(homeUrl) !== stripSlash(exp.preview_url)) {
    return { ...result, home_url: homeUrl, reason: `WordPress home is ${JSON.stringify(homeUrl)}, expected ${JSON.stringify(exp.preview_url)}` };
  }
  return { ...result, home_url: homeUrl, ok: true };
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Checks from the node that its web server serves this environment's WordPress under the
 * preview host, retrying until the deadline. `url` in the report is the preview URL the check
 * stands for; the requests go to <address>:<http_port> with that Host.
 */
export async function checkReachability(exp: ReachabilityExpectation, opts: ReachabilityOptions): Promise<ReachabilityReport> {
  const deadline = Date.now() + opts.deadlineMs;
  const address = opts.address ?? '127.0.0.1';
  let attempts = 0;
  let last: Attempt;
  for (;;) {
    attempts += 1;
    const remaining = Math.max(1000, deadline - Date.now());
    last = await attempt(exp, address, Math.min(5000, remaining));
    if (last.ok || opts.signal?.aborted) break;
    if (Date.now() + (opts.intervalMs ?? 250) >= deadline) break;
    await pause(opts.intervalMs ?? 250, opts.signal);
    if (opts.signal?.aborted) break;
  }
  const { body, ...fields } = last;
  return {
    kind: 'reachability',
    ...fields,
    url: exp.preview_url,
    host: exp.host,
    environment_id: exp.environment_id,
    attempts,
    body_excerpt: last.ok || body === null ? null : body.slice(0, 500),
    at: new Date().toISOString(),
  };
}
