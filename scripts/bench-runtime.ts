/**
 * Benchmarks the runtime playbooks on this node against issue 4's speed targets and prints
 * medians: `npx tsx scripts/bench-runtime.ts [runs=5]`. Playbooks run the way the agent runs
 * them (its PlaybookLauncher, with ansible-playbook started ahead while the node is idle); a
 * cold `ansible-playbook` site-create is printed too, for comparison. Uses port 8088, takes the
 * runtime tests' lock, and cleans up after itself. Targets: site-create ≤ 3 s, env-create ≤ 4 s,
 * site-create re-run ≤ 2 s, node-provision re-run ≤ 20 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlaybookLauncher } from '../node-agent/src/playbook-launcher.ts';
import { runPlaybook as agentRunPlaybook } from '../node-agent/src/run-playbook.ts';
import { deleteEnvs, envCreateVars, newEnv, nodeVars, siteCreateVars, type TestEnv } from '../test/runtime/fixtures.ts';
import { ANSIBLE_DIR, RUNTIME_LOCK, describeRun, httpGet, runPlaybook as coldRunPlaybook, unsafeYaml } from '../test/runtime/support.ts';

// The runtime tests take this lock per playbook; the benchmark holds it for its whole run.
if (!process.env.PRESSLUFT_BENCH_LOCKED) {
  const self = spawnSync('flock', [RUNTIME_LOCK, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PRESSLUFT_BENCH_LOCKED: '1' },
  });
  process.exit(self.status ?? 1);
}

const TARGETS_MS = { 'site-create': 3000, 'env-create': 4000, 'site-create re-run': 2000, 'node-provision re-run': 20000, 'site-create, cold ansible-playbook': null };
type Metric = keyof typeof TARGETS_MS;

const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: bench-runtime.ts [runs]');

const launcher = new PlaybookLauncher({
  bin: 'ansible-playbook',
  env: { ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg'), PYTHONUNBUFFERED: '1', ANSIBLE_NOCOLOR: '1' },
  cwd: ANSIBLE_DIR,
  warm: true,
  log: { warn: (details, message) => console.error(message, details) },
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Lets the launcher start the next ansible-playbook and waits until it is ready, as an idle agent does. */
async function idle(): Promise<void> {
  launcher.prepare();
  const deadline = Date.now() + 30_000;
  while (!launcher.waiting()?.ready) {
    if (Date.now() > deadline) throw new Error('the warm ansible-playbook did not get ready');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a playbook as the agent does; returns when it started and ms from then to its exit. */
async function asAgent(playbook: string, vars: Record<string, unknown>): Promise<{ started: number; ms: number }> {
  await idle();
  const dir = mkdtempSync(path.join(tmpdir(), 'pressluft-bench-'));
  const varsFile = path.join(dir, 'vars.yml');
  writeFileSync(varsFile, unsafeYaml(vars), { mode: 0o600 });
  const lines: string[] = [];
  try {
    const started = performance.now();
    const outcome = await agentRunPlaybook({
      start: () => launcher.launch(['-c', 'local', '-i', path.join(ANSIBLE_DIR, 'inventory', 'local.yml'), path.join(ANSIBLE_DIR, 'playbooks', playbook), '-e', `@${varsFile}`]),
      timeoutMs: 600_000,
      signal: new AbortController().signal,
      onStdoutLine: (line) => lines.push(line),
      onStderrLine: (line) => lines.push(line),
    });
    if (outcome.kind !== 'exited' || outcome.exitCode !== 0) throw new Error(`${playbook} failed (${JSON.stringify(outcome)}):\n${lines.slice(-20).join('\n')}`);
    return { started, ms: performance.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function answersAs(env: TestEnv): Promise<void> {
  const page = await httpGet(env.host, '/');
  if (page.status !== 200 || page.headers['x-pressluft-environment'] !== env.id) throw new Error(`${env.host} did not answer as itself`);
}

/** ms from the playbook's start until the site answered (the agent's check follows the playbook). */
async function reachable(playbook: string, vars: Record<string, unknown>, env: TestEnv): Promise<number> {
  const { started } = await asAgent(playbook, vars);
  await answersAs(env);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const samples = Object.fromEntries(Object.keys(TARGETS_MS).map((k) => [k, [] as number[]])) as Record<Metric, number[]>;
  await asAgent('node-provision.yml', nodeVars());
  for (let i = 0; i < runs; i++) {
    const site = newEnv();
    const clone = newEnv();
    const cold = newEnv();
    try {
      samples['site-create'].push(await reachable('site-create.yml', siteCreateVars(site, `Bench ${i}`), site));
      samples['site-create re-run'].push((await asAgent('site-create.yml', siteCreateVars(site, `Bench ${i}`))).ms);
      samples['env-create'].push(await reachable('env-create.yml', envCreateVars(clone, site), clone));
      samples['node-provision re-run'].push((await asAgent('node-provision.yml', nodeVars())).ms);
      const started = performance.now();
      const run = await coldRunPlaybook('site-create.yml', siteCreateVars(cold, `Cold ${i}`), { lock: false });
      if (run.exitCode !== 0) throw new Error(`cold site-create failed:\n${describeRun(run)}`);
      await answersAs(cold);
      samples['site-create, cold ansible-playbook'].push(performance.now() - started);
    } finally {
      await deleteEnvs([site, clone, cold], { lock: false });
    }
    console.error(`run ${i + 1}/${runs} done`);
  }
  launcher.close();
  for (const metric of Object.keys(TARGETS_MS) as Metric[]) {
    const m = median(samples[metric]);
    const target = TARGETS_MS[metric];
    const verdict = target === null ? '(for comparison)' : `target ${target / 1000} s  ${m <= target ? 'ok' : 'OVER'}`;
    console.log(`${metric.padEnd(34)} median ${(m / 1000).toFixed(2)} s  ${verdict}  (runs: ${samples[metric].map((v) => (v / 1000).toFixed(2)).join(', ')})`);
  }
}

await main();
