import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { JobDispatch } from '@pressluft/shared';
import { startAgent, type Agent, type AgentOptions } from '../../src/index.ts';
import { writeCredential } from '../../src/credential.ts';
import { FakeControlPlane } from './fake-control-plane.ts';

export const FAKE_PLAYBOOK = fileURLToPath(new URL('../fixtures/fake-ansible-playbook', import.meta.url));

/** Test logs are silent unless PRESSLUFT_TEST_LOG=debug (or another level) is set. */
export const testLogger = () => pino({ level: process.env.PRESSLUFT_TEST_LOG ?? 'silent' }, pino.destination(2));

export interface Harness {
  cp: FakeControlPlane;
  dir: string;
  stateDir: string;
  agents: Agent[];
  start(extra?: Partial<AgentOptions>): Promise<Agent>;
  cleanup(): Promise<void>;
}

export async function harness(opts: { credential?: boolean; tls?: { cert: Buffer; key: Buffer } } = {}): Promise<Harness> {
  const cp = await FakeControlPlane.start({ tls: opts.tls });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pressluft-agent-test-'));
  const stateDir = path.join(dir, 'state');
  if (opts.credential !== false) await writeCredential(stateDir, { node_id: cp.nodeId, credential: cp.credential });
  const h: Harness = {
    cp,
    dir,
    stateDir,
    agents: [],
    async start(extra = {}) {
      const agent = await startAgent({
        controlPlaneUrl: cp.url,
        stateDir,
        ansibleDir: dir,
        ansiblePlaybookBin: FAKE_PLAYBOOK,
        logger: testLogger(),
        hostname: 'test-node',
        reachabilityDeadlineMs: 2000,
        ...extra,
      });
      h.agents.push(agent);
      return agent;
    },
    async cleanup() {
      await Promise.all(h.agents.map((agent) => agent.stop()));
      await cp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

let counter = 0;
export function dispatch(vars: Record<string, unknown>, extra: Partial<JobDispatch> = {}): JobDispatch {
  counter += 1;
  return {
    type: 'job_dispatch',
    job_id: `job-${process.pid}-${counter}`,
    attempt: 1,
    job_type: 'node_provision',
    playbook: 'node-provision.yml',
    vars,
    secrets: {},
    reachability: null,
    timeout_ms: 60_000,
    ...extra,
  };
}

/** Alive means it exists and is not a zombie waiting for a parent that never reaps. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
