import type { JobEventDto } from '@pressluft/shared';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.ts';
import { onLive, type LiveMessage } from './live.ts';
import { mergeEvents } from './lib/timeline.ts';

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  /** True until the first answer; refetches keep showing the previous data. */
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` and refetches it when a live change passes `isRelevant` (and after a stream
 * resync). Refetches are coalesced: a burst of changes costs one request.
 */
export function useApi<T>(path: string | null, isRelevant: (message: LiveMessage) => boolean = () => true): Resource<T> {
  const [state, setState] = useState<{ path: string | null; data: T | null; error: ApiError | null; loading: boolean }>({ path, data: null, error: null, loading: true });
  const relevant = useRef(isRelevant);
  relevant.current = isRelevant;
  const generation = useRef(0);

  const load = useCallback(() => {
    if (!path) return;
    const mine = ++generation.current;
    api<T>('GET', path).then(
      (data) => { if (mine === generation.current) setState({ path, data, error: null, loading: false }); },
      (error: ApiError) => { if (mine === generation.current) setState((prev) => ({ path, data: prev.path === path ? prev.data : null, error, loading: false })); },
    );
  }, [path]);

  useEffect(() => {
    setState((prev) => (prev.path === path ? prev : { path, data: null, error: null, loading: true }));
    load();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onLive((message) => {
      if (message.type !== 'resync' && !relevant.current(message)) return;
      if (timer) return;
      timer = setTimeout(() => { timer = null; load(); }, 150);
    });
    return () => { off(); if (timer) clearTimeout(timer); generation.current++; };
  }, [path, load]);

  const current = state.path === path ? state : { data: null, error: null, loading: true };
  return { data: current.data, error: current.error, loading: current.loading, reload: load };
}

/** The current time, refreshed every `intervalMs` (for "12 s ago" and running durations). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export interface JobStream {
  events: JobEventDto[];
  /** The server sent `end`: the job is terminal and every event was delivered. */
  ended: boolean;
}

/**
 * Streams a job's events over SSE (`/api/jobs/:id/events`). EventSource resumes with
 * Last-Event-ID after a drop; duplicates are merged away by seq. When the stream cannot be
 * opened at all, the events are fetched as JSON and the stream is retried.
 */
export function useJobEvents(jobId: string | null): JobStream {
  const [stream, setStream] = useState<JobStream & { jobId: string | null }>({ jobId, events: [], ended: false });

  useEffect(() => {
    setStream({ jobId, events: [], ended: false });
    if (!jobId) return;
    let closed = false;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const add = (incoming: JobEventDto[]) => setStream((prev) => (prev.jobId === jobId ? { ...prev, events: mergeEvents(prev.events, incoming) } : prev));

    const open = () => {
      if (closed) return;
      const es = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
      source = es;
      es.addEventListener('job_event', (event) => {
        try { add([JSON.parse((event as MessageEvent<string>).data) as JobEventDto]); } catch { /* a malformed event is skipped */ }
      });
      es.addEventListener('end', () => {
        es.close();
        setStream((prev) => (prev.jobId === jobId ? { ...prev, ended: true } : prev));
      });
      es.onerror = () => {
        if (es.readyState !== EventSource.CLOSED || closed) return;
        api<JobEventDto[]>('GET', `/api/jobs/${encodeURIComponent(jobId)}/events`).then(
          (events) => { if (!closed) { add(events); retry = setTimeout(open, 3000); } },
          // A missing job is final; anything else (restart, network) is worth another try.
          (error: ApiError) => { if (!closed && error.status !== 404 && error.status !== 401) retry = setTimeout(open, 3000); },
        );
      };
    };
    open();
    return () => {
      closed = true;
      source?.close();
      if (retry) clearTimeout(retry);
    };
  }, [jobId]);

  return stream.jobId === jobId ? { events: stream.events, ended: stream.ended } : { events: [], ended: false };
}
