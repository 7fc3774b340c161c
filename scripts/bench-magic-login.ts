// One-click WordPress admin latency (issue 10) on a provisioned self-node, through a real
// `pressluft dev`: POST /api/environments/:id/magic-login over N calls, beside two baselines
// measured from this process against the same environment's PHP-FPM pool: a bare FastCGI
// request PHP-FPM answers without running PHP, and a FastCGI request that only boots WordPress
// (wp-load.php). The gap between the last two is the API, the websocket and the agent.
// Usage: npx tsx scripts/bench-magic-login.ts [calls=50]
import { runtimeNames, type CreateSiteResponse, type MagicLoginResponse } from '@pressluft/shared';
import { fastcgiRequest } from '../node-agent/src/queries/fastcgi.ts';
import { startDev } from '../test/support/harness.ts';

const calls = Number(process.argv[2] ?? 50);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

async function time(n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const dev = await startDev();
try {
  const created = await dev.api.request<CreateSiteResponse>('POST', '/api/sites', { name: 'Bench login', slug: `bench-login-${Date.now().toString(36)}` });
  if (created.status !== 202) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const job = await dev.api.waitForJob(created.body.job_id);
  if (job.status !== 'succeeded') throw new Error(`site create ${job.status}: ${job.error_code} ${job.error_message}`);
  const env = await dev.api.environment(created.body.environment_id);
  const names = runtimeNames(env.id);
  const socket = `/run/php/${names.pool}.sock`;
  const host = new URL(env.preview_url);
  const base = { GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_METHOD: 'GET', QUERY_STRING: '', SERVER_NAME: host.hostname, SERVER_PORT: host.port || '80', HTTP_HOST: host.host, REMOTE_ADDR: '127.0.0.1' };
  const bare = { ...base, SCRIPT_FILENAME: `${names.root}/current/no-such-file.php`, SCRIPT_NAME: '/no-such-file.php', REQUEST_URI: '/no-such-file.php' };
  const boot = { ...base, SCRIPT_FILENAME: `${names.root}/current/wp-load.php`, SCRIPT_NAME: '/wp-load.php', REQUEST_URI: '/wp-load.php', DOCUMENT_ROOT: `${names.root}/current` };

  const api = async () => {
    const res = await dev.api.request<MagicLoginResponse>('POST', `/api/environments/${env.id}/magic-login`);
    if (res.status !== 200) throw new Error(`magic-login answered ${res.status}: ${JSON.stringify(res.body)}`);
  };
  const fpm = (params: Record<string, string>, expect: number) => async () => {
    const res = await fastcgiRequest(socket, params, Buffer.alloc(0), 10_000);
    if (res.status !== expect) throw new Error(`the pool answered ${res.status}`);
  };
  // Warm-up: the pool's first worker, opcache and the API's first query.
  for (let i = 0; i < 3; i++) { await api(); await fpm(boot, 200)(); }

  const bareTimes = await time(calls, fpm(bare, 404));
  const bootTimes = await time(calls, fpm(boot, 200));
  const apiTimes = await time(calls, api);
  console.log(`bare FastCGI request to the pool (no PHP run): ${fmt(bareTimes)}`);
  console.log(`FastCGI wp-load.php (WordPress boot only):     ${fmt(bootTimes)}`);
  console.log(`POST /api/environments/:id/magic-login:         ${fmt(apiTimes)} over ${calls} calls [target p50 ≤ 150 ms, p99 ≤ 500 ms]`);

  const del = await dev.api.request<{ job_id: string }>('DELETE', `/api/sites/${created.body.site_id}`);
  if (del.status === 202) await dev.api.waitForJob(del.body.job_id);
} finally {
  await dev.stop();
}
