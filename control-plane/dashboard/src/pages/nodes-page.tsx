import { useEffect } from 'preact/hooks';
import type { NodeDto } from '@pressluft/shared';
import { ErrorBox, Empty, Loading } from '../components/states.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useApi, useNow } from '../hooks.ts';
import { formatRelative, formatTimestamp } from '../lib/format.ts';

/** Every node with its status, agent connection and last heartbeat. */
export function NodesPage() {
  const nodes = useApi<NodeDto[]>('/api/nodes', (m) => m.type === 'node');
  const now = useNow(5000);
  useEffect(() => { document.title = 'Nodes · Pressluft'; }, []);

  return (
    <section>
      <div class="page-head"><h1>Nodes</h1></div>
      {nodes.loading ? <Loading /> : nodes.error && !nodes.data ? <ErrorBox error={nodes.error} retry={nodes.reload} /> : nodes.data!.length === 0 ? (
        <Empty>
          <p>No nodes yet.</p>
          <p class="muted">Run <code>pressluft dev</code> to register this machine as the self-node.</p>
        </Empty>
      ) : (
        <table class="table" data-testid="nodes-table">
          <thead><tr><th>Name</th><th>Status</th><th>Agent</th><th>Last heartbeat</th><th>Host</th><th>Agent version</th></tr></thead>
          <tbody>
            {nodes.data!.map((node) => (
              <tr key={node.id} data-testid="node-row" data-node-id={node.id}>
                <td data-label="Name"><strong>{node.name}</strong>{node.is_local && <span class="tag">self</span>}</td>
                <td data-label="Status"><StatusBadge status={node.status} /></td>
                <td data-label="Agent">
                  <span class={node.agent_connected ? 'dot dot-ok' : 'dot dot-bad'} aria-hidden="true" />
                  <span data-testid="agent-connection">{node.agent_connected ? 'connected' : 'disconnected'}</span>
                </td>
                <td data-label="Last heartbeat"><time dateTime={node.last_seen_at ?? undefined} title={formatTimestamp(node.last_seen_at)}>{formatRelative(node.last_seen_at, now)}</time></td>
                <td data-label="Host">{node.hostname ?? '–'}{node.public_ip && <span class="muted"> · {node.public_ip}</span>}<span class="muted"> · HTTP :{node.http_port}</span></td>
                <td data-label="Agent version">{node.agent_version ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
