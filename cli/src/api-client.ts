import type {
  CreateEnvironmentRequest, CreateEnvironmentResponse, CreateSiteRequest, CreateSiteResponse, EnvironmentDto,
  JobAcceptedResponse, JobDto, JobEventDto, JobStatus, MagicLoginResponse, NodeDto, SiteDto,
} from '@pressluft/shared';
import { SseParser } from './sse.ts';

/** An answer of the API that is not 2xx; `code` comes from the error registry when the body had one. */
export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** The control plane could not be reached at all (refused, DNS, reset before any answer). */
export class ApiConnectionError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`cannot reach the control plane at ${url}: ${cause instanceof Error ? (cause.cause as Error | undefined)?.message ?? cause.message : String(cause)}`);
    this.name = 'ApiConnectionError';
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  /** Delay before re-opening a dropped event stream. */
  reconnectDelayMs?: number;
}

export interface JobStreamItem {
  kind: 'event' | 'end';
  event?: JobEventDto;
  status?: JobStatus;
}

/** A small typed client for the Pressluft HTTP API; it keeps the session cookie of its login. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly reconnectDelayMs: number;
  private cookie: string | null = null;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
    this.reconnectDelayMs = opts.reconnectDelayMs ?? 500;
  }

  async login(email: string, password: string): Promise<void> {
    const res = await this.send('POST', '/api/login', { email, password });
    await this.check(res);
    const token = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('session_token='));
    if (!token) throw new ApiRequestError(res.status, 'unauthorized', 'the login answer carried no session cookie');
    this.cookie = token;
    await res.body?.cancel();
  }

  async logout(): Promise<void> {
    if (!this.cookie) return;
    try {
      const res = await this.send('POST', '/api/logout');
      await res.body?.cancel();
    } finally {
      this.cookie = null;
    }
  }

  listSites(): Promise<SiteDto[]> { return this.json('GET', '/api/sites'); }
  getSite(id: string): Promise<SiteDto> { return this.json('GET', `/api/sites/${enc(id)}`); }
  createSite(body: CreateSiteRequest): Promise<CreateSiteResponse> { return this.json('POST', '/api/sites', body); }
  deleteSite(id: string): Promise<JobAcceptedResponse> { return this.json('DELETE', `/api/sites/${enc(id)}`); }
  resetSite(id: string): Promise<JobAcceptedResponse> { return this.json('POST', `/api/sites/${enc(id)}/reset`); }

  listEnvironments(siteId: string): Promise<EnvironmentDto[]> { return this.json('GET', `/api/sites/${enc(siteId)}/environments`); }
  getEnvironment(id: string): Promise<EnvironmentDto> { return this.json('GET', `/api/environments/${enc(id)}`); }
  createEnvironment(siteId: string, body: CreateEnvironmentRequest): Promise<CreateEnvironmentResponse> {
    return this.json('POST', `/api/sites/${enc(siteId)}/environments`, body);
  }
  deleteEnvironment(id: string): Promise<JobAcceptedResponse> { return this.json('DELETE', `/api/environments/${enc(id)}`); }
  resetEnvironment(id: string): Promise<JobAcceptedResponse> { return this.json('POST', `/api/environments/${enc(id)}/reset`); }
  magicLogin(id: string): Promise<MagicLoginResponse> { return this.json('POST', `/api/environments/${enc(id)}/magic-login`); }

  listJobs(query: { status?: JobStatus; site_id?: string; limit?: number } = {}): Promise<JobDto[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.json('GET', `/api/jobs${qs ? `?${qs}` : ''}`);
  }
  getJob(id: string): Promise<JobDto> { return this.json('GET', `/api/jobs/${enc(id)}`); }
  getJobEvents(id: string): Promise<JobEventDto[]> { return this.json('GET', `/api/jobs/${enc(id)}/events`); }
  cancelJob(id: string): Promise<unknown> { return this.json('POST', `/api/jobs/${enc(id)}/cancel`); }

  listNodes(): Promise<NodeDto[]> { return this.json('GET', '/api/nodes'); }
  getNode(id: string): Promise<NodeDto> { return this.json('GET', `/api/nodes/${enc(id)}`); }
  provisionNode(id: string): Promise<JobAcceptedResponse> { return this.json('POST', `/api/nodes/${enc(id)}/provision`); }

  /**
   * Streams a job's events over SSE from after `after`, then one `end` item. A stream that
   * drops before `end` is re-opened resuming after the last seq received, so no event is lost
   * or repeated. `signal` aborts the stream (the generator then returns).
   */
  async *streamJobEvents(jobId: string, opts: { after?: number; signal?: AbortSignal; maxReconnects?: number } = {}): AsyncGenerator<JobStreamItem> {
    let after = opts.after ?? 0;
    let failures = 0;
    const maxReconnects = opts.maxReconnects ?? 20;
    for (;;) {
      if (opts.signal?.aborted) return;
      let res: Response;
      try {
        res = await this.send('GET', `/api/jobs/${enc(jobId)}/events?after=${after}`, undefined, { accept: 'text/event-stream', signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (++failures > maxReconnects) throw err;
        await delay(this.reconnectDelayMs);
        continue;
      }
      await this.check(res);
      if (!res.body) throw new ApiRequestError(res.status, 'internal', 'the event stream had no body');
      const parser = new SseParser();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const ev of parser.feed(chunk)) {
            if (ev.event === 'job_event') {
              const event = JSON.parse(ev.data) as JobEventDto;
              if (event.seq <= after) continue; // a replay after a reconnect: already yielded
              after = event.seq;
              failures = 0;
              yield { kind: 'event', event };
            } else if (ev.event === 'end') {
              const status = (JSON.parse(ev.data) as { status?: JobStatus }).status;
              yield { kind: 'end', status };
              return; // leaving the for-await cancels the body
            }
          }
        }
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof SyntaxError) throw err;
        // A reset connection: fall through to reconnect.
      }
      if (++failures > maxReconnects) throw new ApiConnectionError(this.baseUrl, new Error('the event stream kept closing before the job ended'));
      await delay(this.reconnectDelayMs);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    await this.check(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  private async send(method: string, path: string, body?: unknown, extra: { accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: extra.accept ?? 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: extra.signal,
      });
    } catch (err) {
      if (extra.signal?.aborted) throw err;
      throw new ApiConnectionError(this.baseUrl, err);
    }
  }

  private async check(res: Response): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => '');
    let code = 'internal';
    let message = `${res.status} ${res.statusText}`.trim();
    try {
      const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof parsed.code === 'string') code = parsed.code;
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      if (text) message = `${message}: ${text.slice(0, 200)}`;
    }
    throw new ApiRequestError(res.status, code, message);
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
