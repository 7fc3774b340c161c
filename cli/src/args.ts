import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command line: main prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options every client command accepts (no secrets: those come from the environment or stdin). */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** Options of commands that enqueue a job. */
export const WAIT_OPTIONS = { ...CLIENT_OPTIONS, 'no-wait': { type: 'boolean' } } as const satisfies OptionsConfig;

export type ParsedValues = Record<string, string | boolean | undefined>;

/** Strict parse (unknown options and wrong positional counts are usage errors). */
export function parseCommandArgs(
  args: string[],
  options: OptionsConfig,
  usage: string,
  positionals: { min: number; max: number; names?: string } = { min: 0, max: 0 },
): { values: ParsedValues; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
  const values = parsed.values as ParsedValues;
  if (values.help) return { values, positionals: parsed.positionals };
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing ${positionals.names ?? 'argument'}`, usage);
  if (n > positionals.max) throw new UsageError(`unexpected argument: ${parsed.positionals[positionals.max]}`, usage);
  return { values, positionals: parsed.positionals };
}

/** A string option that must be present. */
export function requireString(values: ParsedValues, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`, usage);
  return v;
}

export function optionalString(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parses a TCP port option (1–65535; 0 allowed only where a random port makes sense). */
export function parsePort(value: string | undefined, name: string, fallback: number, usage: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value)) throw new UsageError(`--${name} must be a port number`, usage);
  const port = Number(value);
  if (port > 65535 || (port === 0 && !allowZero)) throw new UsageError(`--${name} must be a port number`, usage);
  return port;
}
