import { slugify } from '@pressluft/shared';
import type { ApiClient } from '../api-client.ts';
import { CLIENT_OPTIONS, optionalString, requireString, UsageError, WAIT_OPTIONS, type ParsedValues } from '../args.ts';
import { renderTable } from '../render.ts';
import { productionEnvironment, resolveEnvironment, resolveSite } from '../resolve.ts';
import { finishMutation, printJson, runClientCommand, type Command, type MutationOutcome } from './command.ts';

const COMMON = '[--url URL] [--state-dir DIR] [--json]';
const TYPES = ['staging', 'clone'] as const;

function envOutcome(client: ApiClient, envId: string, deleting = false): MutationOutcome {
  return {
    async successLines() {
      if (deleting) return ['Deleted.'];
      const env = await client.getEnvironment(envId);
      return [`Environment ${env.slug} is ${env.status}.`, `Preview: ${env.preview_url}`];
    },
    async jsonResult() {
      return { environment: await client.getEnvironment(envId) };
    },
  };
}

/** Name and slug default from the type ("Staging"/"staging"); a given name implies its slug. */
export function environmentNames(type: (typeof TYPES)[number], name?: string, slug?: string): { name: string; slug: string } {
  const defaultName = type === 'staging' ? 'Staging' : 'Clone';
  const finalName = name ?? defaultName;
  return { name: finalName, slug: slug ?? (slugify(finalName) || type) };
}

const create: Command = {
  path: ['env', 'create'],
  summary: 'Create a staging or clone environment from another environment',
  usage: `Usage: pressluft env create --site SLUG|ID --type staging|clone [--name NAME] [--slug SLUG] [--from ENV_SLUG|ID] [--no-wait] ${COMMON}`,
  run(args, ctx) {
    const options = { ...WAIT_OPTIONS, site: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' }, from: { type: 'string' } } as const;
    const validate = (values: ParsedValues) => {
      if (!(TYPES as readonly string[]).includes(values.type as string)) throw new UsageError('--type must be staging or clone', this.usage);
    };
    return runClientCommand(args, ctx, { options, usage: this.usage, required: ['site', 'type'], validate }, async (client, values) => {
      const siteRef = requireString(values, 'site', this.usage);
      const type = requireString(values, 'type', this.usage);
      const names = environmentNames(type as (typeof TYPES)[number], optionalString(values, 'name'), optionalString(values, 'slug'));
      const site = await resolveSite(client, siteRef);
      const fromRef = optionalString(values, 'from');
      const source = fromRef ? await resolveEnvironment(client, site, fromRef) : productionEnvironment(site);
      if (!source) throw new UsageError(`site ${site.slug} has no production environment: pass --from`, this.usage);
      const res = await client.createEnvironment(site.id, { ...names, type: type as (typeof TYPES)[number], source_environment_id: source.id });
      return finishMutation(client, { ...res }, values, ctx, `Creating environment ${site.slug}/${names.slug} from ${source.slug}`, envOutcome(client, res.environment_id));
    });
  },
};

const list: Command = {
  path: ['env', 'list'],
  summary: 'List the environments of a site',
  usage: `Usage: pressluft env list --site SLUG|ID ${COMMON}`,
  run(args, ctx) {
    const options = { ...CLIENT_OPTIONS, site: { type: 'string' } } as const;
    return runClientCommand(args, ctx, { options, usage: this.usage, required: ['site'] }, async (client, values) => {
      const site = await resolveSite(client, requireString(values, 'site', this.usage));
      const envs = await client.listEnvironments(site.id);
      if (values.json) printJson(ctx.out, envs);
      else if (envs.length === 0) ctx.out.line('No environments.');
      else for (const line of renderTable(['slug', 'name', 'type', 'status', 'preview', 'id'], envs.map((e) => [e.slug, e.name, e.type, e.status, e.preview_url, e.id]))) ctx.out.line(line);
      return 0;
    });
  },
};

const remove: Command = {
  path: ['env', 'delete'],
  summary: 'Delete a staging or clone environment',
  usage: `Usage: pressluft env delete ENV_ID --yes [--no-wait] ${COMMON}`,
  run(args, ctx) {
    const options = { ...WAIT_OPTIONS, yes: { type: 'boolean' } } as const;
    const validate = (values: ParsedValues) => {
      if (!values.yes) throw new UsageError('deleting an environment removes its files and database: confirm with --yes', this.usage);
    };
    return runClientCommand(args, ctx, { options, usage: this.usage, positionals: { min: 1, max: 1, names: 'ENV_ID' }, validate }, async (client, values, [id]) => {
      const res = await client.deleteEnvironment(id);
      return finishMutation(client, { ...res }, values, ctx, `Deleting environment ${id}`, envOutcome(client, id, true));
    });
  },
};

const reset: Command = {
  path: ['env', 'reset'],
  summary: 'Re-run the create job of a failed environment',
  usage: `Usage: pressluft env reset ENV_ID [--no-wait] ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: WAIT_OPTIONS, usage: this.usage, positionals: { min: 1, max: 1, names: 'ENV_ID' } }, async (client, values, [id]) => {
      const res = await client.resetEnvironment(id);
      return finishMutation(client, { ...res }, values, ctx, `Resetting environment ${id}`, envOutcome(client, id));
    });
  },
};

export const envCommands: Command[] = [create, list, remove, reset];
