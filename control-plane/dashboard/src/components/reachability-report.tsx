import type { ReachabilityReport } from '@pressluft/shared';
import { formatDuration } from '../lib/format.ts';

/** The agent's check of the preview URL from the node itself. */
export function ReachabilityPanel({ report }: { report: ReachabilityReport }) {
  return (
    <section class={`panel reach ${report.ok ? 'reach-ok' : 'reach-bad'}`} data-testid="reachability" data-ok={String(report.ok)}>
      <h3>Reachability: {report.ok ? 'passed' : 'failed'}</h3>
      <dl class="facts">
        <dt>URL</dt><dd><code>{report.url}</code></dd>
        <dt>HTTP status</dt><dd>{report.http_status ?? 'no answer'}</dd>
        <dt>WordPress</dt><dd>{report.is_wordpress ? 'yes' : 'no'}</dd>
        <dt>Environment header</dt><dd>{report.header_environment_id === report.environment_id ? 'matches' : (report.header_environment_id ?? 'missing')}</dd>
        <dt>Home URL</dt><dd>{report.home_url ?? '–'}</dd>
        <dt>Latency</dt><dd>{formatDuration(report.latency_ms)} ({report.attempts} {report.attempts === 1 ? 'attempt' : 'attempts'})</dd>
        {report.reason && <><dt>Reason</dt><dd>{report.reason}</dd></>}
      </dl>
      {report.body_excerpt && <pre class="tail">{report.body_excerpt}</pre>}
    </section>
  );
}
