import { JOB_STATUSES, type JobDto, type JobStatus } from '@pressluft/shared';
import { CLIENT_OPTIONS, optionalString, UsageError, type ParsedValues } from '../args.ts';
import { formatDuration, makeStyle, renderEvent, renderJobFailure, renderTable } from '../render.ts';
import { resolveSite } from '../resolve.ts';
import { printJson, runClientCommand, type Command } from './command.ts';

const COMMON = '[--url URL] [--state-dir DIR] [--json]';

function jobDuration(job: JobDto): string {
  if (!job.started_at) return '';
  const end = job.finished_at ? Date.parse(job.finished_at) : Date.now();
  return formatDuration(end - Date.parse(job.started_at));
}

const list: Command = {
  path: ['jobs'],
  summary: 'List jobs, newest first',
  usage: `Usage: pressluft jobs [--status ${JOB_STATUSES.join('|')}] [--site SLUG|ID] [--limit N] ${COMMON}`,
  run(args, ctx) {
    const options = { ...CLIENT_OPTIONS, status: { type: 'string' }, site: { type: 'string' }, limit: { type: 'string' } } as const;
    const validate = (values: ParsedValues) => {
      const status = optionalString(values, 'status');
      if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}`, this.usage);
      const limit = optionalString(values, 'limit');
      if (limit !== undefined && !(/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500)) throw new UsageError('--limit must be a number from 1 to 500', this.usage);
    };
    return runClientCommand(args, ctx, { options, usage: this.usage, validate }, async (client, values) => {
      const status = optionalString(values, 'status');
      const limitRaw = optionalString(values, 'limit');
      const siteRef = optionalString(values, 'site');
      const siteId = siteRef ? (await resolveSite(client, siteRef)).id : undefined;
      const jobs = await client.listJobs({ status: status as JobStatus | undefined, site_id: siteId, limit: limitRaw ? Number(limitRaw) : undefined });
      if (values.json) printJson(ctx.out, jobs);
      else if (jobs.length === 0) ctx.out.line('No jobs.');
      else {
        const rows = jobs.map((j) => [j.id, j.job_type, j.status, `${j.attempt}/${j.max_attempts}`, jobDuration(j), j.created_at, j.error_code ?? j.waiting_reason]);
        for (const line of renderTable(['id', 'type', 'status', 'attempt', 'took', 'created', 'error / waiting'], rows)) ctx.out.line(line);
      }
      return 0;
    });
  },
};

const show: Command = {
  path: ['job', 'show'],
  summary: 'Show a job with its steps',
  usage: `Usage: pressluft job show JOB_ID ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: CLIENT_OPTIONS, usage: this.usage, positionals: { min: 1, max: 1, names: 'JOB_ID' } }, async (client, values, [id]) => {
      const job = await client.getJob(id);
      const events = await client.getJobEvents(id);
      if (values.json) {
        printJson(ctx.out, { job, events });
        return 0;
      }
      const style = makeStyle(ctx.out.isTTY);
      ctx.out.line(`Job ${job.id}`);
      ctx.out.line(`  type:     ${job.job_type}`);
      ctx.out.line(`  status:   ${job.status}${job.waiting_reason ? ` (${job.waiting_reason})` : ''}`);
      ctx.out.line(`  attempt:  ${job.attempt}/${job.max_attempts}`);
      ctx.out.line(`  created:  ${job.created_at}`);
      if (job.started_at) ctx.out.line(`  started:  ${job.started_at}`);
      if (job.finished_at) ctx.out.line(`  finished: ${job.finished_at} (${jobDuration(job)})`);
      if (job.site_id) ctx.out.line(`  site:     ${job.site_id}`);
      if (job.environment_id) ctx.out.line(`  env:      ${job.environment_id}`);
      ctx.out.line(`  node:     ${job.node_id}`);
      let attempt = 0;
      for (const event of events) {
        if (event.type === 'step' && event.data.status === 'started') continue;
        if (event.attempt !== attempt && event.type !== 'state') {
          attempt = event.attempt;
          ctx.out.line(`Attempt ${attempt}:`);
        }
        const text = renderEvent(event, style);
        if (text !== null) ctx.out.line(text);
      }
      if (job.status === 'failed') for (const line of renderJobFailure(job, style)) ctx.out.line(line);
      return 0;
    });
  },
};

const cancel: Command = {
  path: ['job', 'cancel'],
  summary: 'Cancel a queued or running job',
  usage: `Usage: pressluft job cancel JOB_ID ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: CLIENT_OPTIONS, usage: this.usage, positionals: { min: 1, max: 1, names: 'JOB_ID' } }, async (client, values, [id]) => {
      await client.cancelJob(id);
      const job = await client.getJob(id);
      if (values.json) printJson(ctx.out, job);
      else ctx.out.line(job.status === 'cancelled' ? `Job ${id} cancelled.` : `Cancel requested for job ${id} (now ${job.status}); the agent stops its playbook.`);
      return 0;
    });
  },
};

export const jobCommands: Command[] = [list, show, cancel];
