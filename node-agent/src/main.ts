import { parseArgs } from 'node:util';
import { AgentFatalError } from './errors.ts';
import { startAgent } from './agent.ts';

// No --token: a secret in argv is readable by every local user (/proc/*/cmdline).
const USAGE = 'usage: PRESSLUFT_AGENT_TOKEN=… pressluft-agent --url URL --state-dir DIR [--ansible-dir DIR]';

async function main(): Promise<number> {
  let values: { url?: string; 'state-dir'?: string; 'ansible-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { url: { type: 'string' }, 'state-dir': { type: 'string' }, 'ansible-dir': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.url || !values['state-dir']) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const agent = await startAgent({
    controlPlaneUrl: values.url,
    stateDir: values['state-dir'],
    // Needed only for the first start; later starts use the saved credential.
    registrationToken: process.env.PRESSLUFT_AGENT_TOKEN || undefined,
    ansibleDir: values['ansible-dir'],
    ansiblePlaybookBin: process.env.PRESSLUFT_ANSIBLE_PLAYBOOK || undefined,
  });
  const onSignal = () => void agent.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await agent.done;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof AgentFatalError ? error.message : (error as Error)?.stack ?? String(error);
    process.stderr.write(`pressluft-agent: ${message}\n`);
    process.exitCode = 1;
  },
);
