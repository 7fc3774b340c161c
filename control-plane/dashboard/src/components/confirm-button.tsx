import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

interface Props {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  testId: string;
  danger?: boolean;
}

/**
 * A button that asks first, in a native modal <dialog> (focus moves into it, Escape closes it,
 * focus returns to the button). The dialog stays open with the error when the action fails.
 */
export function ConfirmButton({ label, title, children, confirmLabel, onConfirm, testId, danger = true }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" class={danger ? 'btn btn-danger' : 'btn'} data-testid={testId} onClick={() => { setError(null); dialog.current?.showModal(); }}>
        {label}
      </button>
      <dialog ref={dialog} class="dialog" aria-labelledby={`${testId}-title`} data-testid={`${testId}-dialog`}>
        <h2 id={`${testId}-title`}>{title}</h2>
        <div>{children}</div>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="actions">
          <button type="button" class="btn" onClick={() => dialog.current?.close()} disabled={busy}>Cancel</button>
          <button type="button" class={danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={confirm} disabled={busy} data-testid={`${testId}-confirm`}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
