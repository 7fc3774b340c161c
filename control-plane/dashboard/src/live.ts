import type { ChangeEvent } from '@pressluft/shared';
import { api, type ApiError } from './api.ts';

/** A change from GET /api/events, or `resync` after the stream opened: refetch everything. */
export type LiveMessage = ChangeEvent | { type: 'resync' };
export type LiveStatus = 'connecting' | 'live' | 'offline';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

const listeners = new Set<(message: LiveMessage) => void>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryMs = RETRY_MIN_MS;
let status: LiveStatus = 'offline';
/** Between startLive and stopLive: the shell wants the stream (a late retry must not reopen it). */
let wanted = false;

function setStatus(next: LiveStatus): void {
  status = next;
  for (const listener of statusListeners) listener(next);
}

function emit(message: LiveMessage): void {
  for (const listener of listeners) listener(message);
}

function connect(): void {
  retryTimer = null;
  setStatus('connecting');
  const es = new EventSource('/api/events');
  source = es;
  // Invariant: every open, the first included, is followed by a refetch of everything shown.
  // The server subscribes before it answers, so a change is either in what the refetch reads or
  // an event on this stream: nothing between a page's first fetch and the open is lost.
  es.onopen = () => {
    retryMs = RETRY_MIN_MS;
    setStatus('live');
    emit({ type: 'resync' });
  };
  for (const type of ['site', 'environment', 'job', 'node'] as const) {
    es.addEventListener(type, (event) => {
      try {
        emit(JSON.parse((event as MessageEvent<string>).data) as ChangeEvent);
      } catch {
        emit({ type: 'resync' });
      }
    });
  }
  es.onerror = () => {
    if (source !== es) return;
    // EventSource reconnects by itself after a network error (and `onopen` resyncs); it gives
    // up only when the answer was not a stream (a 401, a proxy error page).
    if (es.readyState !== EventSource.CLOSED) {
      setStatus('connecting');
      return;
    }
    source = null;
    setStatus('offline');
    // A lost session sends the operator to the login page (api() does, and the shell stops the
    // stream there); anything else is retried with backoff.
    api('GET', '/api/me').then(scheduleRetry, (error: ApiError) => { if (error.status !== 401) scheduleRetry(); });
  };
}

function scheduleRetry(): void {
  if (!wanted || source || retryTimer) return;
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

/** Opens the change stream now (idempotent); the shell calls it once the session is known good. */
export function startLive(): void {
  wanted = true;
  if (source) return;
  if (retryTimer) clearTimeout(retryTimer);
  retryMs = RETRY_MIN_MS;
  connect();
}

/** Closes the change stream (logout, or the login page after a lost session). */
export function stopLive(): void {
  wanted = false;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  const es = source;
  source = null;
  es?.close();
  setStatus('offline');
}

export function onLive(listener: (message: LiveMessage) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onLiveStatus(listener: (status: LiveStatus) => void): () => void {
  statusListeners.add(listener);
  listener(status);
  return () => statusListeners.delete(listener);
}
