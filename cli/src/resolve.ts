import { ID_PATTERN, type EnvironmentDto, type SiteDto } from '@pressluft/shared';
import { ApiRequestError, type ApiClient } from './api-client.ts';

/** Finds a site by id or slug (the API addresses sites by id only). */
export async function resolveSite(client: ApiClient, ref: string): Promise<SiteDto> {
  if (ID_PATTERN.test(ref)) return client.getSite(ref);
  const site = (await client.listSites()).find((s) => s.slug === ref);
  if (!site) throw new ApiRequestError(404, 'not_found', `no site with slug "${ref}"`);
  // The list may omit environments; the single-site answer carries them.
  return site.environments ? site : client.getSite(site.id);
}

/** Finds an environment of a site by id or slug. */
export async function resolveEnvironment(client: ApiClient, site: SiteDto, ref: string): Promise<EnvironmentDto> {
  const envs = site.environments ?? (await client.listEnvironments(site.id));
  const env = envs.find((e) => e.id === ref || e.slug === ref);
  if (!env) throw new ApiRequestError(404, 'not_found', `site "${site.slug}" has no environment "${ref}"`);
  return env;
}

/** The production environment of a site: the primary one, else the one of type production. */
export function productionEnvironment(site: SiteDto): EnvironmentDto | undefined {
  const envs = site.environments ?? [];
  return envs.find((e) => e.id === site.primary_environment_id) ?? envs.find((e) => e.type === 'production');
}
