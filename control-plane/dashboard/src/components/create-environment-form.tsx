import { useState } from 'preact/hooks';
import type { CreateEnvironmentResponse, EnvironmentDto } from '@pressluft/shared';
import { SLUG_PATTERN, slugify } from '../../../../shared/src/slug-text.ts';
import { api, ApiError } from '../api.ts';

interface Props {
  siteId: string;
  sources: EnvironmentDto[];
  defaultSourceId: string | null;
  onCreated: (created: CreateEnvironmentResponse) => void;
  onCancel: () => void;
}

/** A staging or clone environment copied from a source environment of the same site. */
export function CreateEnvironmentForm({ siteId, sources, defaultSourceId, onCreated, onCancel }: Props) {
  const [type, setType] = useState<'staging' | 'clone'>('staging');
  const [name, setName] = useState('Staging');
  const [slug, setSlug] = useState('staging');
  const [slugEdited, setSlugEdited] = useState(false);
  const [sourceId, setSourceId] = useState(defaultSourceId ?? sources[0]?.id ?? '');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const slugValid = SLUG_PATTERN.test(slug);

  const rename = (value: string) => {
    setName(value);
    if (!slugEdited) setSlug(slugify(value));
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), slug, type, source_environment_id: sourceId };
      onCreated(await api<CreateEnvironmentResponse>('POST', `/api/sites/${encodeURIComponent(siteId)}/environments`, body));
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <form class="panel form" onSubmit={submit} data-testid="create-env-form" aria-labelledby="create-env-title">
      <h2 id="create-env-title">Create environment</h2>
      <fieldset class="choice">
        <legend>Type</legend>
        {(['staging', 'clone'] as const).map((value) => (
          <label key={value} class="inline">
            <input type="radio" name="env-type" value={value} checked={type === value} data-testid={`env-type-${value}`}
              onChange={() => { setType(value); if (!slugEdited && (name === 'Staging' || name === 'Clone')) rename(value === 'staging' ? 'Staging' : 'Clone'); }} />
            {value === 'staging' ? 'Staging' : 'Clone'}
          </label>
        ))}
      </fieldset>
      <label>
        Source environment
        <select value={sourceId} onChange={(e) => setSourceId(e.currentTarget.value)} data-testid="env-source" required>
          {sources.map((env) => <option key={env.id} value={env.id}>{env.name} ({env.type})</option>)}
        </select>
      </label>
      <label>
        Name
        <input required maxLength={100} value={name} onInput={(e) => rename(e.currentTarget.value)} data-testid="env-name" />
      </label>
      <label>
        Slug
        <input required maxLength={40} value={slug} aria-invalid={slug !== '' && !slugValid} data-testid="env-slug"
          onInput={(e) => { setSlugEdited(true); setSlug(e.currentTarget.value); }} />
      </label>
      {error && <p class="form-error" role="alert" data-testid="create-env-error">{error.code}: {error.message}</p>}
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy || !slugValid || !sourceId || name.trim() === ''} data-testid="create-env-submit">
          {busy ? 'Creating…' : 'Create environment'}
        </button>
      </div>
    </form>
  );
}
