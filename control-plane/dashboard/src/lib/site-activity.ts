import type { EnvironmentDto, JobDto, SiteDto } from '@pressluft/shared';

/** What is happening to a site now: its running or queued job, and the failure to explain. */
export interface SiteActivity {
  /** The newest queued or running job of the site. */
  active: JobDto | null;
  /** The failed or cancelled job that left the site or one of its environments failed (only while something is failed). */
  failed: JobDto | null;
  /** What the "Reset" action resets: the site when it failed, else its first failed environment. */
  resetTarget: { kind: 'site'; id: string } | { kind: 'environment'; id: string; name: string } | null;
}

const isActive = (job: JobDto): boolean => job.status === 'queued' || job.status === 'running';
// A cancelled create also leaves its resource failed (JOB_CANCELLED).
const isFailure = (job: JobDto): boolean => job.status === 'failed' || job.status === 'cancelled';

function newestFirst(jobs: readonly JobDto[]): JobDto[] {
  return [...jobs].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
}

/** Derives a site's activity from its jobs (any order; jobs of other sites are ignored). */
export function siteActivity(site: SiteDto, jobs: readonly JobDto[]): SiteActivity {
  const own = newestFirst(jobs.filter((job) => job.site_id === site.id));
  const active = own.find(isActive) ?? null;

  const environments: EnvironmentDto[] = site.environments ?? [];
  const failedEnv = environments.find((env) => env.status === 'failed' && env.id !== site.primary_environment_id) ?? null;
  let failed: JobDto | null = null;
  let resetTarget: SiteActivity['resetTarget'] = null;
  if (site.status === 'failed') {
    failed = own.find((job) => isFailure(job) && (job.job_type === 'site_create' || job.environment_id === site.primary_environment_id))
      ?? own.find(isFailure) ?? null;
    resetTarget = { kind: 'site', id: site.id };
  } else if (failedEnv) {
    failed = own.find((job) => isFailure(job) && job.environment_id === failedEnv.id) ?? null;
    resetTarget = { kind: 'environment', id: failedEnv.id, name: failedEnv.name };
  }
  // A reset re-enqueues the job: while that runs, the old failure is history, not news.
  if (active && failed && Date.parse(active.created_at) >= Date.parse(failed.created_at)) {
    failed = null;
    resetTarget = null;
  }
  return { active, failed, resetTarget };
}

/** The production environment of a site, or its first one. */
export function primaryEnvironment(site: SiteDto): EnvironmentDto | null {
  const environments = site.environments ?? [];
  return environments.find((env) => env.id === site.primary_environment_id)
    ?? environments.find((env) => env.type === 'production')
    ?? environments[0]
    ?? null;
}

/** Environments an operator still sees (deleted ones are history). */
export function visibleEnvironments(site: SiteDto): EnvironmentDto[] {
  return (site.environments ?? []).filter((env) => env.status !== 'deleted');
}

/** A short text for the site list: "Site create running", "Env create queued: no agent connected". */
export function activityLabel(job: JobDto): string {
  const type = job.job_type.replaceAll('_', ' ');
  const label = `${type.charAt(0).toUpperCase()}${type.slice(1)} ${job.status}`;
  return job.status === 'queued' && job.waiting_reason ? `${label}: ${job.waiting_reason}` : label;
}
