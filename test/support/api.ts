import type { EnvironmentDto, JobDto, JobEventDto, NodeDto, SiteDto } from '@pressluft/shared';
import { waitFor } from './wait.ts';

export interface ApiAnswer<T = any> { status: number; body: T; headers: Headers }

/** A minimal API client with a session cookie, for system tests. */
export class TestApi {
  private cookie = '';
  constructor(readonly baseUrl: string) {}

  async login(email: string, password: string): Promise<void> {
    const res = await this.request('POST', '/api/login', { email, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const res = await fetch(this.baseUrl + path, {
      method,
      // Cookie calls that mutate must say JSON even without a body (the server's CSRF guard).
      headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : null; } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async get<T = any>(path: string): Promise<T> {
    const res = await this.request<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  site(id: string): Promise<SiteDto> { return this.get(`/api/sites/${id}`); }
  environment(id: string): Promise<EnvironmentDto> { return this.get(`/api/environments/${id}`); }
  job(id: string): Promise<JobDto> { return this.get(`/api/jobs/${id}`); }
  jobEvents(id: string): Promise<JobEventDto[]> { return this.get(`/api/jobs/${id}/events`); }
  nodes(): Promise<NodeDto[]> { return this.get('/api/nodes'); }

  /** Waits until the job is terminal and returns it. */
  waitForJob(id: string, timeoutMs = 240_000): Promise<JobDto> {
    return waitFor(async () => {
      const job = await this.job(id);
      return ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    }, { timeoutMs, intervalMs: 200, what: `job ${id} to finish` });
  }
}
