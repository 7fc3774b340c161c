import type { SiteDto } from '@pressluft/shared';
import type { ApiClient } from '../api-client.ts';
import { CLIENT_OPTIONS, optionalString, requireString, UsageError, WAIT_OPTIONS, type ParsedValues } from '../args.ts';
import { renderTable } from '../render.ts';
import { openLogin } from '../open-login.ts';
import { productionEnvironment, resolveEnvironment, resolveSite } from '../resolve.ts';
import { finishMutation, printJson, runClientCommand, type Command, type MutationOutcome } from './command.ts';

const COMMON = '[--url URL] [--email E --password P] [--state-dir DIR] [--json]';

/** What a finished site job prints: the production preview URL, or the deletion. */
function siteOutcome(client: ApiClient, siteId: string, deleting = false): MutationOutcome {
  return {
    async successLines() {
      if (deleting) return ['Deleted.'];
      const site = await client.getSite(siteId);
      const env = productionEnvironment(site);
      return [`Site ${site.slug} is ${site.status}.`, `Preview: ${env?.preview_url ?? '(none)'}`];
    },
    async jsonResult() {
      return { site: await client.getSite(siteId) };
    },
  };
}

const create: Command = {
  path: ['site', 'create'],
  summary: 'Create a site and its production environment',
  usage: `Usage: pressluft site create --name NAME --slug SLUG [--node NODE_ID] [--no-wait] ${COMMON}`,
  run(args, ctx) {
    const options = { ...WAIT_OPTIONS, name: { type: 'string' }, slug: { type: 'string' }, node: { type: 'string' } } as const;
    return runClientCommand(args, ctx, { options, usage: this.usage, required: ['name', 'slug'] }, async (client, values) => {
      const name = requireString(values, 'name', this.usage);
      const slug = requireString(values, 'slug', this.usage);
      const node = optionalString(values, 'node');
      const res = await client.createSite({ name, slug, ...(node ? { node_id: node } : {}) });
      return finishMutation(client, { ...res }, values, ctx, `Creating site ${slug}`, siteOutcome(client, res.site_id));
    });
  },
};

const list: Command = {
  path: ['site', 'list'],
  summary: 'List sites',
  usage: `Usage: pressluft site list ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: CLIENT_OPTIONS, usage: this.usage }, async (client, values) => {
      const sites = await client.listSites();
      if (values.json) printJson(ctx.out, sites);
      else if (sites.length === 0) ctx.out.line('No sites.');
      else for (const line of siteTable(sites)) ctx.out.line(line);
      return 0;
    });
  },
};

function siteTable(sites: SiteDto[]): string[] {
  return renderTable(
    ['slug', 'name', 'status', 'preview', 'id'],
    sites.map((s) => [s.slug, s.name, s.status, productionEnvironment(s)?.preview_url, s.id]),
  );
}

const show: Command = {
  path: ['site', 'show'],
  summary: 'Show a site and its environments',
  usage: `Usage: pressluft site show SLUG|ID ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: CLIENT_OPTIONS, usage: this.usage, positionals: { min: 1, max: 1, names: 'SLUG|ID' } }, async (client, values, [ref]) => {
      const site = await resolveSite(client, ref);
      if (values.json) {
        printJson(ctx.out, site);
        return 0;
      }
      ctx.out.line(`${site.name} (${site.slug})`);
      ctx.out.line(`  id:      ${site.id}`);
      ctx.out.line(`  status:  ${site.status}`);
      ctx.out.line(`  created: ${site.created_at}`);
      ctx.out.line('');
      const envs = site.environments ?? [];
      const rows = envs.map((e) => [e.slug, e.type, e.status, e.preview_url, e.id]);
      for (const line of renderTable(['environment', 'type', 'status', 'preview', 'id'], rows)) ctx.out.line(line);
      return 0;
    });
  },
};

const remove: Command = {
  path: ['site', 'delete'],
  summary: 'Delete a site with all its environments',
  usage: `Usage: pressluft site delete SLUG|ID --yes [--no-wait] ${COMMON}`,
  run(args, ctx) {
    const options = { ...WAIT_OPTIONS, yes: { type: 'boolean' } } as const;
    const validate = (values: ParsedValues) => {
      if (!values.yes) throw new UsageError('deleting a site removes all its environments, files and databases: confirm with --yes', this.usage);
    };
    return runClientCommand(args, ctx, { options, usage: this.usage, positionals: { min: 1, max: 1, names: 'SLUG|ID' }, validate }, async (client, values, [ref]) => {
      const site = await resolveSite(client, ref);
      const res = await client.deleteSite(site.id);
      return finishMutation(client, { ...res }, values, ctx, `Deleting site ${site.slug}`, siteOutcome(client, site.id, true));
    });
  },
};

const reset: Command = {
  path: ['site', 'reset'],
  summary: 'Re-run the create job of a failed site',
  usage: `Usage: pressluft site reset SLUG|ID [--no-wait] ${COMMON}`,
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: WAIT_OPTIONS, usage: this.usage, positionals: { min: 1, max: 1, names: 'SLUG|ID' } }, async (client, values, [ref]) => {
      const site = await resolveSite(client, ref);
      const res = await client.resetSite(site.id);
      return finishMutation(client, { ...res }, values, ctx, `Resetting site ${site.slug}`, siteOutcome(client, site.id));
    });
  },
};

const login: Command = {
  path: ['site', 'login'],
  summary: 'Print a one-time WordPress admin login URL (valid once, for 60 s)',
  usage: `Usage: pressluft site login SLUG|ID [--env ENV] [--open] ${COMMON}`,
  run(args, ctx) {
    const options = { ...CLIENT_OPTIONS, env: { type: 'string' }, open: { type: 'boolean' } } as const;
    return runClientCommand(args, ctx, { options, usage: this.usage, positionals: { min: 1, max: 1, names: 'SLUG|ID' } }, async (client, values, [ref]) => {
      const site = await resolveSite(client, ref);
      const envRef = optionalString(values, 'env');
      const env = envRef ? await resolveEnvironment(client, site, envRef) : productionEnvironment(site);
      if (!env) throw new UsageError(`site "${site.slug}" has no production environment; name one with --env`, this.usage);
      const res = await client.magicLogin(env.id);
      if (values.json) printJson(ctx.out, res);
      else {
        ctx.out.line(res.login_url);
        ctx.out.error(`Logs in once as the WordPress admin of ${site.slug}/${env.slug}, until ${res.expires_at}.`);
      }
      if (values.open && !openLogin(res.login_url)) ctx.out.error('Neither xdg-open nor wslview is on PATH: open the URL yourself.');
      return 0;
    });
  },
};

export const siteCommands: Command[] = [create, list, show, remove, reset, login];
