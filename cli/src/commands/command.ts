import type { JobAcceptedResponse, JobDto } from '@pressluft/shared';
import type { ApiClient } from '../api-client.ts';
import { parseCommandArgs, requireString, type OptionsConfig, type ParsedValues } from '../args.ts';
import { resolveClientConfig, withClient } from '../config.ts';
import { followJob } from '../follow-job.ts';
import type { Output } from '../output.ts';
import type { Input } from '../prompt.ts';
import { makeStyle, renderJobFailure } from '../render.ts';

/** What a command gets from main: its environment, where to read and write, and injectable fetch. */
export interface CommandContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: Output;
  /** Where `pressluft login` reads the password; process.stdin when absent. */
  stdin?: Input;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface Command {
  /** Words that select it, e.g. ['site', 'create']. */
  path: string[];
  summary: string;
  usage: string;
  /** Resolves with the exit code. */
  run(args: string[], ctx: CommandContext): Promise<number>;
}

export function printJson(out: Output, value: unknown): void {
  out.line(JSON.stringify(value, null, 2));
}

export interface MutationOutcome {
  /** Lines printed after success (e.g. the preview URL). */
  successLines(job: JobDto): Promise<string[]>;
  /** The final resource for --json (merged with `job`). */
  jsonResult(job: JobDto): Promise<Record<string, unknown>>;
}

/**
 * The common end of every mutation: --no-wait returns the enqueue answer; otherwise the job is
 * followed live and the command ends with the success lines (exit 0) or the failure block (exit 1).
 */
export async function finishMutation(
  client: ApiClient,
  accepted: JobAcceptedResponse & Record<string, unknown>,
  values: ParsedValues,
  ctx: CommandContext,
  title: string,
  outcome: MutationOutcome,
): Promise<number> {
  const { out } = ctx;
  const json = Boolean(values.json);
  if (values['no-wait']) {
    if (json) printJson(out, accepted);
    else out.line(`${title}: job ${accepted.job_id} enqueued.`);
    return 0;
  }
  if (!json) out.line(`${title} (job ${accepted.job_id})`);
  const job = await followJob(client, accepted.job_id, out, { quiet: json, signal: ctx.signal });
  if (json) {
    printJson(out, { job, ...(await outcome.jsonResult(job).catch(() => ({}))) });
    return job.status === 'succeeded' ? 0 : 1;
  }
  const style = makeStyle(out.isTTY);
  if (job.status === 'succeeded') {
    for (const line of await outcome.successLines(job)) out.line(line);
    return 0;
  }
  if (job.status === 'cancelled') {
    out.error(style.yellow(`Cancelled (job ${job.id}).`));
    return 1;
  }
  for (const line of renderJobFailure(job, style)) out.error(line);
  return 1;
}

/** Parses a client command's arguments, authenticates (see withClient), runs `fn`; --help prints usage. */
export async function runClientCommand(
  args: string[],
  ctx: CommandContext,
  spec: {
    options: OptionsConfig;
    usage: string;
    positionals?: { min: number; max: number; names?: string };
    /** Options that must be given; checked before logging in. */
    required?: string[];
    /** Further checks (throw UsageError) that run before logging in. */
    validate?: (values: ParsedValues, positionals: string[]) => void;
  },
  fn: (client: ApiClient, values: ParsedValues, positionals: string[]) => Promise<number>,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, spec.options, spec.usage, spec.positionals);
  if (values.help) {
    ctx.out.line(spec.usage);
    return 0;
  }
  for (const name of spec.required ?? []) requireString(values, name, spec.usage);
  spec.validate?.(values, positionals);
  const config = resolveClientConfig(values, ctx.env, ctx.cwd);
  return withClient(config, ctx.fetch, (client) => fn(client, values, positionals));
}
