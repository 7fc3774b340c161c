/** Where commands write; tests capture it, main binds it to the process streams. */
export interface Output {
  /** One line to stdout (a newline is added). */
  line(text?: string): void;
  /** Raw text to stdout, no newline added (TTY step lines that get rewritten). */
  write(text: string): void;
  /** One line to stderr. */
  error(text: string): void;
  /** A prompt to stderr, no newline added (stdout stays clean for pipes). */
  prompt(text: string): void;
  /** stdout is a terminal: colors and rewritten lines are allowed. */
  readonly isTTY: boolean;
}

export function processOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const isTTY = Boolean(process.stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  return {
    line: (text = '') => process.stdout.write(`${text}\n`),
    write: (text) => process.stdout.write(text),
    error: (text) => process.stderr.write(`${text}\n`),
    prompt: (text) => process.stderr.write(text),
    isTTY,
  };
}

/** An Output that records everything (for tests and for --json capture). */
export function memoryOutput(isTTY = false): Output & { stdout: string; stderr: string } {
  const out = {
    stdout: '',
    stderr: '',
    isTTY,
    line(text = '') { out.stdout += `${text}\n`; },
    write(text: string) { out.stdout += text; },
    error(text: string) { out.stderr += `${text}\n`; },
    prompt(text: string) { out.stderr += text; },
  };
  return out;
}
