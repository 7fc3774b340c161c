import type { ChangeEvent } from '@pressluft/shared';

/** A change from GET /api/events, or `resync` after the stream (re)connected: refetch everything. */
export type LiveMessage = ChangeEvent | { type: 'resync' };
export type LiveStatus = 'connecting' | 'live' | 'offline';

const listeners = new Set<(message: LiveMessage) => void>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let status: LiveStatus = 'offline';
let everOpened = false;

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
  es.onopen = () => {
    setStatus('live');
    // Changes may have been missed while disconnected: everything visible refetches.
    if (everOpened) emit({ type: 'resync' });
    everOpened = true;
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
    // EventSource retries by itself unless the answer was not a stream (e.g. 401): then we retry.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      source = null;
      setStatus('offline');
      retryTimer = setTimeout(connect, 3000);
    } else {
      setStatus('connecting');
    }
  };
}

/** Opens the change stream (idempotent); pages call it once the operator is logged in. */
export function startLive(): void {
  if (source || retryTimer) return;
  connect();
}

/** Closes the change stream (logout). */
export function stopLive(): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  source?.close();
  source = null;
  everOpened = false;
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
