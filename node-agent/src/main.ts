import { parseArgs } from 'node:util';
import { AgentFatalError } from './errors.ts';
import { startAgent } from './agent.ts';
import { readCaFile } from './transport.ts';

// No --token: a secret in argv is readable by every local user (/proc/*/cmdline).
const USAGE = 'usage: PRESSLUFT_AGENT_TOKEN=… pressluft-agent --url URL --state-dir DIR [--ca-file PEM] [--insecure] [--ansible-dir DIR]\n' +
  '  --ca-file  trust these CA certificates (instead of the system\'s) for an https:// control plane\n' +
  '  --insecure allow plain http:// (ws://) to a non-loopback host; certificates are still checked on https://';

async function main(): Promise<number> {
  let values: { url?: string; 'state-dir'?: string; 'ansible-dir'?: string; 'ca-file'?: string; insecure?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        'state-dir': { type: 'string' },
        'ansible-dir': { type: 'string' },
        'ca-file': { type: 'string' },
        insecure: { type: 'boolean' },
        help: { type: 'boolean' },
      },
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
    ca: values['ca-file'] ? readCaFile(values['ca-file']) : undefined,
    insecure: values.insecure ?? false,
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
