/**
 * Benchmarks the runtime playbooks on this node against issue 4's speed targets and prints
 * medians: `npx tsx scripts/bench-runtime.ts [runs=5]`. Uses port 8088 and cleans up after
 * itself. Targets: site-create ≤ 3 s, env-create ≤ 4 s, site-create re-run ≤ 2 s,
 * node-provision re-run ≤ 20 s.
 */
import { deleteEnvs, envCreateVars, newEnv, nodeVars, siteCreateVars, type TestEnv } from '../test/runtime/fixtures.ts';
import { describeRun, httpGet, runPlaybook, type PlaybookRun } from '../test/runtime/support.ts';

const TARGETS_MS = { 'site-create': 3000, 'env-create': 4000, 'site-create re-run': 2000, 'node-provision re-run': 20000 };
type Metric = keyof typeof TARGETS_MS;

const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: bench-runtime.ts [runs]');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(playbook: string, vars: Record<string, unknown>): Promise<number> {
  const started = performance.now();
  const run: PlaybookRun = await runPlaybook(playbook, vars);
  if (run.exitCode !== 0) throw new Error(`${playbook} failed:\n${describeRun(run)}`);
  return performance.now() - started;
}

async function reachableAfter(env: TestEnv, started: number): Promise<number> {
  const page = await httpGet(env.host, '/');
  if (page.status !== 200 || page.headers['x-pressluft-environment'] !== env.id) throw new Error(`${env.host} did not answer as itself`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const samples: Record<Metric, number[]> = { 'site-create': [], 'env-create': [], 'site-create re-run': [], 'node-provision re-run': [] };
  await timed('node-provision.yml', nodeVars());
  for (let i = 0; i < runs; i++) {
    const site = newEnv();
    const clone = newEnv();
    try {
      let started = performance.now();
      await timed('site-create.yml', siteCreateVars(site, `Bench ${i}`));
      samples['site-create'].push(await reachableAfter(site, started));
      samples['site-create re-run'].push(await timed('site-create.yml', siteCreateVars(site, `Bench ${i}`)));
      started = performance.now();
      await timed('env-create.yml', envCreateVars(clone, site));
      samples['env-create'].push(await reachableAfter(clone, started));
      samples['node-provision re-run'].push(await timed('node-provision.yml', nodeVars()));
    } finally {
      await deleteEnvs([site, clone]);
    }
    console.error(`run ${i + 1}/${runs} done`);
  }
  for (const metric of Object.keys(TARGETS_MS) as Metric[]) {
    const m = median(samples[metric]);
    const verdict = m <= TARGETS_MS[metric] ? 'ok' : 'OVER';
    console.log(`${metric.padEnd(22)} median ${(m / 1000).toFixed(2)} s  target ${TARGETS_MS[metric] / 1000} s  ${verdict}  (runs: ${samples[metric].map((v) => (v / 1000).toFixed(2)).join(', ')})`);
  }
}

await main();
