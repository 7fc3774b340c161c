import { spawn } from 'node:child_process';

/** Environment variables a sudo re-run keeps (by name: values never reach the arguments). */
function preservedNames(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((k) => k.startsWith('PRESSLUFT_') || k === 'PATH' || k === 'NO_COLOR' || k === 'TERM');
}

/**
 * Re-runs this very command under `sudo -n`, forwarding SIGINT/SIGTERM, and resolves with its
 * exit code. Used when the operator is not root but has passwordless sudo.
 */
export function rerunWithSudo(env: NodeJS.ProcessEnv): Promise<number> {
  const args = ['-n', `--preserve-env=${preservedNames(env).join(',')}`, '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  return new Promise((resolve) => {
    const child = spawn('sudo', args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
