const TONES: Record<string, string> = {
  active: 'ok', succeeded: 'ok', ok: 'ok', changed: 'ok',
  creating: 'busy', cloning: 'busy', deploying: 'busy', restoring: 'busy', deleting: 'busy', running: 'busy', provisioning: 'busy', started: 'busy',
  queued: 'wait', pending: 'wait', skipped: 'muted', deleted: 'muted', cancelled: 'muted',
  failed: 'bad', unreachable: 'bad',
};

/** A coloured status word; the text itself carries the meaning (no colour-only signal). */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  const tone = TONES[status] ?? 'muted';
  return (
    <span class={`badge badge-${tone}`} data-testid={testId ?? 'status-badge'} data-status={status}>
      {tone === 'busy' && <span class="spinner" aria-hidden="true" />}
      {status}
    </span>
  );
}
