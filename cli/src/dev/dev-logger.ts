import path from 'node:path';
import pino, { type Logger } from 'pino';

/**
 * The dev process logs to `<state>/dev.log` at info (or PRESSLUFT_LOG_LEVEL) and to stderr
 * from warn on, so the terminal shows progress lines, not the control plane's request log.
 */
export function createDevLogger(stateDir: string, env: NodeJS.ProcessEnv): { logger: Logger; file: string } {
  const file = path.join(stateDir, 'dev.log');
  const level = env.PRESSLUFT_LOG_LEVEL ?? 'info';
  const terminalLevel = env.PRESSLUFT_LOG_LEVEL ?? 'warn';
  const streams = pino.multistream([
    { level: terminalLevel as pino.Level, stream: process.stderr },
    { level: level as pino.Level, stream: pino.destination({ dest: file, append: true, mkdir: true, sync: false }) },
  ]);
  const minLevel = pino.levels.values[level] <= pino.levels.values[terminalLevel] ? level : terminalLevel;
  return { logger: pino({ level: minLevel, base: { pid: process.pid } }, streams), file };
}
