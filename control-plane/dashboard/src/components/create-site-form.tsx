import { useState } from 'preact/hooks';
import type { CreateSiteResponse, NodeDto } from '@pressluft/shared';
import { SLUG_PATTERN, slugify } from '../../../../shared/src/slug-text.ts';
import { api, ApiError } from '../api.ts';

interface Props {
  nodes: NodeDto[];
  onCreated: (created: CreateSiteResponse) => void;
  onCancel: () => void;
}

/** Name, slug (follows the name until edited) and, when there are several, the node. */
export function CreateSiteForm({ nodes, onCreated, onCancel }: Props) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const usable = nodes.filter((node) => node.status !== 'failed');
  const [nodeId, setNodeId] = useState(() => (usable.find((n) => n.is_local) ?? usable[0])?.id ?? '');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const slugValid = SLUG_PATTERN.test(slug);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), slug, ...(usable.length > 1 && nodeId ? { node_id: nodeId } : {}) };
      onCreated(await api<CreateSiteResponse>('POST', '/api/sites', body));
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <form class="panel form" onSubmit={submit} data-testid="create-site-form" aria-labelledby="create-site-title">
      <h2 id="create-site-title">Create site</h2>
      <label>
        Name
        <input required maxLength={100} value={name} autoFocus data-testid="site-name"
          onInput={(e) => { const value = e.currentTarget.value; setName(value); if (!slugEdited) setSlug(slugify(value)); }} />
      </label>
      <label>
        Slug
        <input required maxLength={40} value={slug} data-testid="site-slug" aria-invalid={slug !== '' && !slugValid} aria-describedby="site-slug-help"
          onInput={(e) => { setSlugEdited(true); setSlug(e.currentTarget.value); }} />
        <small id="site-slug-help" class={slug !== '' && !slugValid ? 'form-error' : 'muted'}>Lowercase letters, digits and single dashes, up to 40.</small>
      </label>
      {usable.length > 1 && (
        <label>
          Node
          <select value={nodeId} onChange={(e) => setNodeId(e.currentTarget.value)} data-testid="site-node">
            {usable.map((node) => <option key={node.id} value={node.id}>{node.name} ({node.status}{node.agent_connected ? '' : ', agent offline'})</option>)}
          </select>
        </label>
      )}
      {error && <p class="form-error" role="alert" data-testid="create-site-error">{error.code}: {error.message}</p>}
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy || !slugValid || name.trim() === ''} data-testid="create-site-submit">
          {busy ? 'Creating…' : 'Create site'}
        </button>
      </div>
    </form>
  );
}
