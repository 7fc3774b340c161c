// End-to-end speed on a provisioned self-node (issue 5): POST /api/sites → job succeeded,
// request → first step on the SSE stream, and a staging clone. Usage: npx tsx scripts/bench-e2e.ts [sites=5]
import { startDev } from '../test/support/harness.ts';
import type { CreateSiteResponse } from '@pressluft/shared';

const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Resolves with the time the first `step` event arrived on the job's SSE stream. */
async function firstStepAt(baseUrl: string, cookie: string, jobId: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/jobs/${jobId}/events`, { headers: { accept: 'text/event-stream', cookie } });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended without a step');
    buffer += decoder.decode(value, { stream: true });
    if (/"type":"step"/.test(buffer)) {
      const at = performance.now();
      await reader.cancel();
      return at;
    }
  }
}

const dev = await startDev();
try {
  const loginRes = await fetch(`${dev.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: dev.email, password: dev.password }) });
  const cookie = loginRes.headers.get('set-cookie')!.split(';')[0];
  const createTimes: number[] = [];
  const firstStepTimes: number[] = [];
  let last: CreateSiteResponse | null = null;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await dev.api.request<CreateSiteResponse>('POST', '/api/sites', { name: `Bench ${i}`, slug: `bench-${Date.now().toString(36)}-${i}` });
    if (res.status !== 202) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
    const stepAt = firstStepAt(dev.url, cookie, res.body.job_id);
    const job = await dev.api.waitForJob(res.body.job_id);
    if (job.status !== 'succeeded') throw new Error(`job ${job.id} ${job.status}: ${job.error_code} ${job.error_message}`);
    createTimes.push(performance.now() - t0);
    firstStepTimes.push((await stepAt) - t0);
    last = res.body;
    console.log(`site ${i + 1}: succeeded after ${fmt(createTimes[i])}, first step after ${fmt(firstStepTimes[i])}`);
  }
  const t0 = performance.now();
  const clone = await dev.api.request<{ job_id: string }>('POST', `/api/sites/${last!.site_id}/environments`, { name: 'Staging', slug: 'staging', type: 'staging', source_environment_id: last!.environment_id });
  const cloneJob = await dev.api.waitForJob(clone.body.job_id);
  const cloneMs = performance.now() - t0;
  if (cloneJob.status !== 'succeeded') throw new Error(`clone ${cloneJob.status}: ${cloneJob.error_code}`);

  console.log('');
  console.log(`create → succeeded: median ${fmt(median(createTimes))} (max ${fmt(Math.max(...createTimes))}) over ${runs} sites [target ≤ 4 s]`);
  console.log(`request → first SSE step: median ${fmt(median(firstStepTimes))} (max ${fmt(Math.max(...firstStepTimes))}) [target ≤ 1 s]`);
  console.log(`staging clone → succeeded: ${fmt(cloneMs)} [target ≤ 5 s]`);

  for (const site of await dev.api.get<{ id: string }[]>('/api/sites')) {
    const del = await dev.api.request<{ job_id: string }>('DELETE', `/api/sites/${site.id}`);
    if (del.status === 202) await dev.api.waitForJob(del.body.job_id);
  }
} finally {
  await dev.stop();
}
